"""Errors of the quern package: each message names the file (and the member) involved."""


class QuernFormatError(ValueError):
    """A file is not what Quern writes: truncated, damaged, or something else under its name."""


class ChecksumError(QuernFormatError):
    """A batch file's bytes differ from what Quern recorded when it wrote them (damage)."""

    def __init__(self, path, member, message):
        super().__init__(message)
        self.path = path
        self.member = member
