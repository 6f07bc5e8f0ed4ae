"""The shipped scenarios, installed as package data of `simulation.shipped` (pyproject.toml maps
this folder there; simulation/scenario/library.py finds it). This file only makes the folder a
package, so that editable installs can import it too; the scenarios are the *.yaml files."""
