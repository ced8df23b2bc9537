"""The public Python API of the operations tools: user retirement (more functions join as they become stable).

Sending stays at ``platform_notifications.notify``; this module re-exports what hosts call to operate the service.
"""

from __future__ import annotations

from platform_notifications.operations.retirement import RetirementResult, UnknownUserError, retire_user

__all__ = ["RetirementResult", "UnknownUserError", "retire_user"]
