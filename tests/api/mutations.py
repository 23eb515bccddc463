"""Every mutation's document, for the tests that send each of them (the permission matrix and
the failed-mutation snapshots), and small helpers to set content up through the API."""

import uuid
from base64 import b64decode
from typing import Any

from tests.api.conftest import GraphQLClient
from tests.api.editors import Editor

ERRORS = "errors { field code message }"
CREATE_POST = f"""
mutation($input: CreatePostInput!) {{
  createPost(input: $input) {{ post {{ id version }} {ERRORS} }}
}}"""
UPDATE_POST = f"""
mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {{
  updatePost(id: $id, version: $version, input: $input) {{ post {{ id version }} {ERRORS} }}
}}"""
PUBLISH_POST = f"""
mutation($id: ID!, $version: Int!, $at: DateTime) {{
  publishPost(id: $id, version: $version, at: $at) {{ post {{ id version }} {ERRORS} }}
}}"""
UNPUBLISH_POST = f"""
mutation($id: ID!, $version: Int!) {{
  unpublishPost(id: $id, version: $version) {{ post {{ id version }} {ERRORS} }}
}}"""
DELETE_POST = f"""
mutation($id: ID!, $version: Int!) {{
  deletePost(id: $id, version: $version) {{ deletedId {ERRORS} }}
}}"""
PREVIEW_LINK = f"""
mutation($id: ID!) {{ createPreviewLink(postId: $id) {{ token expiresAt {ERRORS} }} }}
"""
RESTORE = f"""
mutation($revisionId: ID!, $version: Int!) {{
  restorePostRevision(revisionId: $revisionId, version: $version) {{
    post {{ id version }} {ERRORS}
  }}
}}"""
LINK = f"""
mutation($id: ID!, $version: Int!, $of: ID!) {{
  linkTranslation(id: $id, version: $version, translationOf: $of) {{
    post {{ id version }} {ERRORS}
  }}
}}"""
UNLINK = f"""
mutation($id: ID!, $version: Int!) {{
  unlinkTranslation(id: $id, version: $version) {{ post {{ id version }} {ERRORS} }}
}}"""
CREATE_AUTHOR = f"""
mutation($input: CreateAuthorInput!) {{
  createAuthor(input: $input) {{ author {{ id version }} {ERRORS} }}
}}"""
UPDATE_AUTHOR = f"""
mutation($id: ID!, $version: Int!, $input: UpdateAuthorInput!) {{
  updateAuthor(id: $id, version: $version, input: $input) {{ author {{ id version }} {ERRORS} }}
}}"""
DELETE_AUTHOR = f"""
mutation($id: ID!, $version: Int!, $reassignTo: ID) {{
  deleteAuthor(id: $id, version: $version, reassignTo: $reassignTo) {{ deletedId {ERRORS} }}
}}"""
CREATE_TAG = f"""
mutation($input: CreateTagInput!) {{ createTag(input: $input) {{ tag {{ id version }} {ERRORS} }} }}
"""
UPDATE_TAG = f"""
mutation($id: ID!, $version: Int!, $input: UpdateTagInput!) {{
  updateTag(id: $id, version: $version, input: $input) {{ tag {{ id version }} {ERRORS} }}
}}"""
DELETE_TAG = f"""
mutation($id: ID!, $version: Int!) {{
  deleteTag(id: $id, version: $version) {{ deletedId {ERRORS} }}
}}"""
MERGE_TAGS = f"""
mutation($source: ID!, $sourceVersion: Int!, $target: ID!, $targetVersion: Int!) {{
  mergeTags(
    sourceId: $source, sourceVersion: $sourceVersion,
    targetId: $target, targetVersion: $targetVersion
  ) {{ tag {{ id version }} {ERRORS} }}
}}"""
CREATE_TOKEN = f"""
mutation($name: String!, $role: EditorRole!, $expiresAt: DateTime) {{
  createApiToken(name: $name, role: $role, expiresAt: $expiresAt) {{
    token apiToken {{ id }} {ERRORS}
  }}
}}"""
REVOKE_TOKEN = f"""
mutation($id: ID!) {{ revokeApiToken(id: $id) {{ apiToken {{ id revoked }} {ERRORS} }} }}
"""
CREATE_EDITOR = f"""
mutation($input: CreateEditorInput!) {{
  createEditor(input: $input) {{ editor {{ id }} {ERRORS} }}
}}"""
SET_ROLE = f"""
mutation($id: ID!, $version: Int!, $role: EditorRole!) {{
  setEditorRole(id: $id, version: $version, role: $role) {{ editor {{ id role }} {ERRORS} }}
}}"""
SET_AUTHOR = f"""
mutation($id: ID!, $version: Int!, $authorId: ID) {{
  setEditorAuthor(id: $id, version: $version, authorId: $authorId) {{
    editor {{ id author {{ slug }} }} {ERRORS}
  }}
}}"""
CREATE_PUBLICATION = f"""
mutation($input: CreatePublicationInput!) {{
  createPublication(input: $input) {{ publication {{ id version }} {ERRORS} }}
}}"""
UPDATE_PUBLICATION = f"""
mutation($id: ID!, $version: Int!, $input: UpdatePublicationInput!) {{
  updatePublication(id: $id, version: $version, input: $input) {{
    publication {{ id version }} {ERRORS}
  }}
}}"""
DELETE_PUBLICATION = f"""
mutation($id: ID!, $version: Int!) {{
  deletePublication(id: $id, version: $version) {{ deletedId {ERRORS} }}
}}"""
UPDATE_SITE = f"""
mutation($version: Int!, $input: UpdateSiteInput!) {{
  updateSite(version: $version, input: $input) {{ site {{ title version }} {ERRORS} }}
}}"""
DEACTIVATE = f"""
mutation($id: ID!) {{ deactivateEditor(id: $id) {{ editor {{ id active }} {ERRORS} }} }}
"""
LOGIN = f"""
mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ token viewer {{ name }} {ERRORS} }}
}}"""
LOGOUT = f"mutation {{ logout {{ ok {ERRORS} }} }}"
MUTATIONS = '{ __type(name: "Mutation") { fields { name } } }'


def anonymous(client: GraphQLClient) -> Editor:
    """A client that sends no token, with the same `run` as a logged-in editor's."""
    sender = Editor(client, "", editor_id=0)
    sender.headers = {}
    return sender


ENDPOINT = "endpoint { id version url active } secret"
CREATE_ENDPOINT = f"""
mutation($input: CreateWebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{ {ENDPOINT} {ERRORS} }}
}}"""
UPDATE_ENDPOINT = f"""
mutation($id: ID!, $version: Int!, $input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(id: $id, version: $version, input: $input) {{ {ENDPOINT} {ERRORS} }}
}}"""
ROTATE_SECRET = f"""
mutation($id: ID!, $version: Int!) {{
  rotateWebhookSecret(id: $id, version: $version) {{ {ENDPOINT} {ERRORS} }}
}}"""
DELETE_ENDPOINT = f"""
mutation($id: ID!, $version: Int!) {{
  deleteWebhookEndpoint(id: $id, version: $version) {{ deletedId {ERRORS} }}
}}"""
PING_ENDPOINT = f"""
mutation($id: ID!) {{ pingWebhookEndpoint(id: $id) {{ delivery {{ id }} {ERRORS} }} }}
"""
REDELIVER = f"""
mutation($id: ID!) {{ redeliverWebhook(id: $id) {{ delivery {{ id status }} {ERRORS} }} }}
"""
# Private targets are refused when sent to, not when saved: any URL may be registered.
HOOK_URL = "https://hooks.example.com/quire"


def unique(prefix: str) -> str:
    """A name no other test content has (titles and names also make unique slugs)."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def unique_slug(prefix: str) -> str:
    return unique(prefix).replace(" ", "-")


def row_id(global_id: str) -> int:
    return int(b64decode(global_id).decode().split(":")[1])


async def succeed(sender: Editor, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The payload of a set-up mutation that must work."""
    payload = await sender.run(query, variables)
    assert payload["errors"] == [], payload
    return payload
