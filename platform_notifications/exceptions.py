"""Errors raised to callers of the Python API when a send request is refused."""


class NotificationRequestError(ValueError):
    """A send request was refused; nothing was created. ``str(error)`` says why."""


class UnknownNotificationType(NotificationRequestError):
    pass


class UnknownNotificationApp(NotificationRequestError):
    pass


class AppTypeMismatch(NotificationRequestError):
    """The named app does not own the notification type."""


class MissingContextVariables(NotificationRequestError):
    pass


class InvalidRecipients(NotificationRequestError):
    pass


class InvalidContentUrl(NotificationRequestError):
    pass


class UnknownAudienceFilter(NotificationRequestError):
    pass


class InvalidNotificationData(NotificationRequestError):
    """Anything else malformed (wrong types, oversized values)."""


class NotificationNotStored(NotificationRequestError):
    """The database refused to store the request (it was rolled back to its own savepoint).

    Nothing was created and the caller's transaction is intact; the request can be sent again.
    """


class UnknownKind(UnknownNotificationType):
    """The kind is not registered (``service.notify``, ``notify_for``, ``send``)."""


class UnknownAudience(NotificationRequestError):
    """An audience key nobody registered, or an audience value of the wrong shape."""


class UnknownGroup(UnknownAudience):
    pass


class InvalidPermission(UnknownAudience):
    """A permission that is not ``"app_label.codename"`` of an existing permission."""


class InvalidContent(InvalidNotificationData):
    """Free-text content refused: a title over 255 characters, a link that is not http(s) or relative, ..."""


class UnknownSender(InvalidContent):
    """``sender=`` names no sender of ``NOTIFICATION_SENDERS``."""


class UnknownLocale(InvalidContent):
    """``locale=`` is not a lower-case BCP 47 tag of a language Django knows (``fr``, ``fr-ca``, ``zh-hans``)."""
