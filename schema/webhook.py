"""Webhook endpoints and their delivery log, as admins see them, and the mutations that manage
them. A secret is shown once: in the answer of the mutation that made it."""

from typing import Annotated, cast

import strawberry

from models import DeliveryStatus as DeliveryStatusValue
from models import WebhookEndpoint as WebhookEndpointModel
from resolvers import webhooks
from resolvers.accounts import Viewer
from resolvers.context import Session
from resolvers.events import EVENT_TYPES
from resolvers.fields import WEBHOOK_ATTEMPT, WEBHOOK_DELIVERY, WEBHOOK_ENDPOINT
from schema.context import Info
from schema.editing import EditError, VersionArg, run
from schema.enums import DeliveryStatus
from schema.node import parse_id
from schema.stored import StoredType, stored


@strawberry.type(description="One try at a delivery.")
@stored(WEBHOOK_ATTEMPT)
class WebhookAttempt(StoredType):
    pass


@strawberry.type(description="One event sent to one endpoint, with every attempt.")
@stored(WEBHOOK_DELIVERY)
class WebhookDelivery(StoredType):
    @strawberry.field(description="Every attempt, first first.")
    async def attempt_log(self, info: Info) -> list[WebhookAttempt]:
        found = await webhooks.attempts_of(info.context, self.row.id)
        return [WebhookAttempt.from_model(model) for model in found]


@strawberry.type(
    description="An HTTP endpoint that receives content events, signed as the Standard "
    "Webhooks specification says."
)
@stored(WEBHOOK_ENDPOINT)
class WebhookEndpoint(StoredType):
    @strawberry.field(description="Its latest deliveries, newest first (the delivery log).")
    async def deliveries(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many, 1 to 100.")] = 20,
        status: Annotated[
            DeliveryStatus | None, strawberry.argument(description="Only those in this state.")
        ] = None,
    ) -> list[WebhookDelivery]:
        found = await webhooks.list_deliveries(
            info.context,
            endpoint_id=self.row.id,
            first=first,
            status=None if status is None else DeliveryStatusValue(cast(str, status.value)),
        )
        return [WebhookDelivery.from_model(model) for model in found]


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        description="Every webhook endpoint. Admins only: anyone else gets null and a "
        "FORBIDDEN error."
    )
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint] | None:
        found = await webhooks.list_endpoints(info.context)
        return [WebhookEndpoint.from_model(model) for model in found]

    @strawberry.field(description="One webhook endpoint by ID. Admins only.")
    async def webhook_endpoint(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its ID.")]
    ) -> WebhookEndpoint | None:
        model = await webhooks.get_endpoint(info.context, _endpoint_id(id))
        return WebhookEndpoint.from_model(model) if model else None


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="An http or https URL.")
    event_types: list[str] = strawberry.field(
        description=f'Event types ({", ".join(EVENT_TYPES)}), "post.*" for a family, or "*".'
    )
    description: str | None = strawberry.field(default=None, description="Up to 200 characters.")
    active: bool = strawberry.field(default=True, description="Send events to it.")
    include_unpublished: bool = strawberry.field(
        default=False, description="Name drafts and internal tags in payloads."
    )


@strawberry.input(description="Changes to a webhook endpoint; fields left out stay as they are.")
class UpdateWebhookEndpointInput:
    url: str | None = strawberry.field(default=strawberry.UNSET, description="New URL.")
    event_types: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="New event types."
    )
    description: str | None = strawberry.field(default=strawberry.UNSET, description="New text.")
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="On (which forgets past failures) or off."
    )
    include_unpublished: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Name drafts and internal tags in payloads."
    )


@strawberry.type(description="The result of a webhook endpoint mutation.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint after it.")
    secret: str | None = strawberry.field(
        description="The signing secret (whsec_...), only when it was just made: keep it now, "
        "it is never shown again."
    )
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `deleteWebhookEndpoint`.")
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted endpoint's ID.")
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of a ping or a redelivery.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = strawberry.field(description="The delivery, now pending.")
    errors: list[EditError] = strawberry.field(description="Why nothing was sent, if so.")


IdArg = Annotated[strawberry.ID, strawberry.argument(description="The endpoint's ID.")]


def _endpoint_id(value: str) -> int:
    return parse_id(value, expected="WebhookEndpoint")[1]


def _endpoint_payload(
    result: tuple[WebhookEndpointModel, str | None] | None, errors: list[EditError]
) -> WebhookEndpointPayload:
    if result is None:
        return WebhookEndpointPayload(endpoint=None, secret=None, errors=errors)
    endpoint, secret = result
    return WebhookEndpointPayload(
        endpoint=WebhookEndpoint.from_model(endpoint), secret=secret, errors=[]
    )


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Add a webhook endpoint (admins). Keep the secret it returns.")
    async def create_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            CreateWebhookEndpointInput, strawberry.argument(description="The endpoint.")
        ],
    ) -> WebhookEndpointPayload:
        async def write(session: Session, viewer: Viewer) -> tuple[WebhookEndpointModel, str]:
            return await webhooks.create_endpoint(
                session,
                viewer=viewer,
                url=input.url,
                event_types=input.event_types,
                description=input.description,
                active=input.active,
                include_unpublished=input.include_unpublished,
                now=info.context.now,
            )

        return _endpoint_payload(*await run(info, write))

    @strawberry.mutation(description="Change a webhook endpoint (admins).")
    async def update_webhook_endpoint(
        self,
        info: Info,
        id: IdArg,
        version: VersionArg,
        input: Annotated[
            UpdateWebhookEndpointInput, strawberry.argument(description="The changes.")
        ],
    ) -> WebhookEndpointPayload:
        values = {
            name: getattr(input, name)
            for name in ("url", "event_types", "description", "active", "include_unpublished")
            if getattr(input, name) is not strawberry.UNSET
        }
        for required in ("url", "event_types", "active", "include_unpublished"):
            if required in values and values[required] is None:
                values.pop(required)
        endpoint_id = _endpoint_id(id)
        return _endpoint_payload(
            *await run(
                info,
                lambda session, viewer: webhooks.update_endpoint(
                    session,
                    viewer=viewer,
                    endpoint_id=endpoint_id,
                    version=version,
                    values=values,
                    now=info.context.now,
                ),
            )
        )

    @strawberry.mutation(
        description="Give a webhook endpoint a new signing secret (admins); the old one stops "
        "signing at once."
    )
    async def rotate_webhook_secret(
        self, info: Info, id: IdArg, version: VersionArg
    ) -> WebhookEndpointPayload:
        endpoint_id = _endpoint_id(id)
        return _endpoint_payload(
            *await run(
                info,
                lambda session, viewer: webhooks.update_endpoint(
                    session,
                    viewer=viewer,
                    endpoint_id=endpoint_id,
                    version=version,
                    values={},
                    now=info.context.now,
                    rotate_secret=True,
                ),
            )
        )

    @strawberry.mutation(description="Delete a webhook endpoint and its delivery log (admins).")
    async def delete_webhook_endpoint(
        self, info: Info, id: IdArg, version: VersionArg
    ) -> DeleteWebhookEndpointPayload:
        endpoint_id = _endpoint_id(id)
        _, errors = await run(
            info,
            lambda session, viewer: webhooks.delete_endpoint(
                session, viewer=viewer, endpoint_id=endpoint_id, version=version
            ),
        )
        return DeleteWebhookEndpointPayload(deleted_id=None if errors else id, errors=errors)

    @strawberry.mutation(description="Send a `webhook.ping` to an endpoint now (admins).")
    async def ping_webhook_endpoint(self, info: Info, id: IdArg) -> WebhookDeliveryPayload:
        endpoint_id = _endpoint_id(id)
        delivery, errors = await run(
            info,
            lambda session, viewer: webhooks.ping(
                session, viewer=viewer, endpoint_id=endpoint_id, now=info.context.now
            ),
        )
        return WebhookDeliveryPayload(
            delivery=WebhookDelivery.from_model(delivery) if delivery else None, errors=errors
        )

    @strawberry.mutation(
        description="Send a delivery again now, with the same message ID and body (admins)."
    )
    async def redeliver_webhook(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The delivery's ID.")],
    ) -> WebhookDeliveryPayload:
        delivery_id = parse_id(id, expected="WebhookDelivery")[1]
        delivery, errors = await run(
            info,
            lambda session, viewer: webhooks.redeliver(
                session, viewer=viewer, delivery_id=delivery_id, now=info.context.now
            ),
        )
        return WebhookDeliveryPayload(
            delivery=WebhookDelivery.from_model(delivery) if delivery else None, errors=errors
        )
