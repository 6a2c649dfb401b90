"""Recognition of a stored document: claim it, read its pages, locate and check its fields, store.

Django-side orchestration of the pure engine (``recognition.engine``) and the rule engine
(``documents.rules``); only workers import it (``processing.tasks``), so web processes never load
the models.
"""
