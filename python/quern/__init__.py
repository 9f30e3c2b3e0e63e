"""Read what the `quern` command writes, with numpy: batch files of any codec (checksums verified),
intermediate folders in journal order, and output folders memory-mapped. See README.md
("Python") and docs/formats.md in the Quern repository."""

__version__ = "0.1.0"

# One line per module: a new module adds its own line.
from .errors import ChecksumError, QuernFormatError  # noqa: F401
from .batches import Batch, iter_batches, journal, read_batch  # noqa: F401
from .outputs import Outputs, open_npy, open_npz, open_outputs  # noqa: F401
from .dataset import QuernDataset  # noqa: F401
from . import normalize  # noqa: F401
