"""Mechanisms: pure array functions of the model (no Mesa, no files, no randomness of their own).

    allocation   donors' and the facility's allocation strategies (a registry)
    channels     what a channel costs its recipient, predictability, a facility's reserve, coordination
    dynamics     budgets, spending → goal scores, interlinkages, shocks
    indicators   indicators in natural units: gap dynamics, absorption, normalisation
    technology   research stages and Bass diffusion of technologies

The model passes every parameter with a leading replication axis (size 1 where all replications agree).
"""
