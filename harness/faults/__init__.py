"""Faults on purpose: rules at the engine's edge that make AWS calls fail, slow down or come
back partly done, managed through /_harness/faults, `harness faults` and the
pytest fixture `faults`."""
