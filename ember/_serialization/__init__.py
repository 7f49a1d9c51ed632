"""The machinery behind :mod:`ember.serialization`: ember's own file format (``ember_format``),
the pickle-opcode interpreter (``pickle_vm``) and what PyTorch's files may name
(``torch_globals``, ``allow``), and PyTorch's containers (``archives``, ``torch_files``)."""
