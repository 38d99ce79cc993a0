"""tracker: follow up the Liaoning 2017 county archives report, county by county."""

__version__ = "0.1.0"
