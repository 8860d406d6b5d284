"""Progress, messages and cancel: what the core needs from its caller (the plugin adapts QgsProcessingFeedback)."""


class Feedback:
    """What the core needs from its caller; the plugin adapts QgsProcessingFeedback to this."""

    def info(self, msg: str):
        pass

    def warn(self, msg: str):
        pass

    def progress(self, percent: float):
        pass

    def is_canceled(self) -> bool:
        return False
