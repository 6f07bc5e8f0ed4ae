"""Pure array functions for research pipelines, diffusion and capacity (docs/model.md "One year", steps 5 and 7).

Shapes: S replications, C countries, K technologies. Money in USD per year.
"""

from __future__ import annotations

import numpy as np


def stage_needs(progress_usd: np.ndarray, stage_cost: np.ndarray, trl: np.ndarray,
                deploy_trl: np.ndarray) -> np.ndarray:
    """USD a technology can still absorb in its current TRL stage; 0 once deployable. (S, K)."""
    return np.where(trl < deploy_trl, np.maximum(stage_cost - progress_usd, 0.0), 0.0)


def advance_pipeline(trl: np.ndarray, progress_usd: np.ndarray, years_in_stage: np.ndarray,
                     spent: np.ndarray, stage_cost: np.ndarray, stage_years: np.ndarray,
                     p_success: np.ndarray, draw: np.ndarray, deploy_trl: np.ndarray):
    """One year of the TRL pipeline.

    A stage ends when it is fully funded (progress ≥ stage_cost) and has lasted
    stage_years; it then succeeds with probability p_success (TRL + 1) or fails (the stage
    restarts with nothing; the money is sunk). trl, progress_usd, years_in_stage, spent,
    p_success, draw (uniform [0, 1)): (S, K); stage_cost, stage_years, deploy_trl: (K,).
    Returns new (trl, progress_usd, years_in_stage).
    """
    active = trl < deploy_trl
    progress = progress_usd + spent
    years = years_in_stage + active
    done = active & (progress >= stage_cost * (1 - 1e-12)) & (years >= stage_years)
    success = done & (draw < p_success)
    new_trl = trl + success
    progress = np.where(done, 0.0, progress)
    years = np.where(done, 0.0, years)
    return new_trl, progress, years


def bass_step(adoption: np.ndarray, p: np.ndarray, q: np.ndarray, absorptive: np.ndarray,
              access: np.ndarray, deployable: np.ndarray) -> np.ndarray:
    """Bass diffusion: ΔX = (p + qX)(1 − X) · absorptive_c · access_c,k, for deployable k.

    adoption, access: (S, C, K); p, q: (K,); absorptive: (S, C); deployable: (S, K) bool.
    """
    rate = (p + q * adoption) * (1.0 - adoption) * absorptive[..., None] * access
    return np.clip(adoption + rate * deployable[:, None, :], 0.0, 1.0)


def capacity_step(capacity: np.ndarray, spend_pc: np.ndarray, scale: float, cap_max: float) -> np.ndarray:
    """Capacity building with diminishing returns: A += (max − A)⁺ · (1 − exp(−spend_pc / scale)).

    capacity, spend_pc: (S, C) → (S, C).
    """
    return capacity + np.maximum(cap_max - capacity, 0.0) * -np.expm1(-spend_pc / scale)


def technology_multiplier(adoption: np.ndarray, efficacy: np.ndarray) -> np.ndarray:
    """1 + Σ_k X_c,k · eff_k,g: (S, C, K) @ (K, G) → (S, C, G)."""
    return 1.0 + adoption @ efficacy
