"""Who may write: every mutation needs a viewer, and some need a manager (editor or admin)."""

from models import EditorRole
from resolvers.accounts import Viewer
from resolvers.errors import Rejected


def require_viewer(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise Rejected("unauthenticated", "Log in to change content.")
    return viewer


def is_manager(viewer: Viewer) -> bool:
    """Editors and admins change every post, author and tag."""
    return viewer.role in (EditorRole.EDITOR, EditorRole.ADMIN)


def require_manager(viewer: Viewer, action: str) -> None:
    """Refuse anyone but editors and admins; `action` completes "Only editors and admins may"."""
    if not is_manager(viewer):
        raise Rejected("forbidden", f"Only editors and admins may {action}.")


def require_admin(viewer: Viewer, action: str) -> None:
    """Refuse anyone but admins; `action` completes "Only admins may"."""
    if viewer.role is not EditorRole.ADMIN:
        raise Rejected("forbidden", f"Only admins may {action}.")
