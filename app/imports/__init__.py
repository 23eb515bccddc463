"""Reading other systems' export files (Ghost's JSON, WordPress's WXR) into what
`resolvers.imports` writes."""


class UnreadableExport(Exception):
    """The file is not the export it was given as: nothing is written."""
