"""Mechanisms: pure array functions of the model (no Mesa, no files, no randomness of their own).

    allocation   donors' and the facility's allocation strategies (a registry)
    dynamics     spending → goal scores, interlinkages, shocks
    technology   research stages and Bass diffusion of technologies
"""
