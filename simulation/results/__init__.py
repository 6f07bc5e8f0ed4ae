"""The results layer: every file sdgsim writes goes through here (atomic, never half-written).

    folders   atomic folders and files, manifests, damaged-folder errors, permissions
    runs      a run's folder (tidy Parquet tables, summary, manifest)
    sweeps    a sweep's folder (design, chunk files, resume, lock)
"""
