"""fal.ai's contract facts (see the package's docstring).

fal has no envelope: answers are bare JSON with real HTTP statuses, so schemathesis's built-in
checks judge them as they are, but two: ``positive_data_acceptance``, as a valid request about
a request in the wrong state gets a documented 400 or 422 (``not_now``), and
``negative_data_rejection``, which reads a case whose only invalidity is an unknown header as
invalid in more ways, because it judges the number header X-Fal-Request-Timeout as the text it
is on the wire. A request's status is its own call (202 while IN_QUEUE or IN_PROGRESS, 200 when
COMPLETED), its video another (the result); a failed request ends COMPLETED too, with ``error``
and ``error_type``.
"""

from . import ContractFacts, NotFound, TaskShape

# Each endpoint's status, result and cancel by its full path (fal's own documents), besides
# the owner/app ones the submit answer hands back.
_VERSIONS = ("V2Standard", "V2Pro", "V1Standard", "V1Pro")
_RESULTS = frozenset({"getRequestResult", *(f"getAvatar{v}Result" for v in _VERSIONS)})
_CANCELS = frozenset({"cancelRequest", *(f"cancelAvatar{v}" for v in _VERSIONS)})
_STATUSES = frozenset({"getRequestStatus", *(f"getAvatar{v}Status" for v in _VERSIONS)})

FACTS = ContractFacts(
    shape=TaskShape(
        provider="fal",
        create="submitAvatarV2Standard",
        read="getRequestStatus",
        balance=None,  # fal has no balance API
        id_param="request_id",
        created_id="request_id",
        state="status",
        created_at=None,  # QueueStatus reports no times
        completed_at=None,
        success="COMPLETED",
        results=("video", "url"),
        failure_fields=(("error",), ("error_type",)),
        cost=None,
        balance_path=(),
        not_found=(404,),
        envelope=False,
        inputs=(),
        result="getRequestResult",
        failure_marks=(("error",), ("error_type",)),
        callback_success="OK",
        callback_results=("payload", "video", "url"),
    ),
    # Files go to the upload URL initiateUpload answers, which no operation of the spec is:
    # initiateUpload only asks.
    uploads=frozenset(),
    lookups=_STATUSES | _RESULTS | _CANCELS,
    not_found=(NotFound(404),),
    other_creations=frozenset({"submitAvatarV2Pro", "submitAvatarV1Standard", "submitAvatarV1Pro"}),
    not_now=(
        # ResultNotReady and CancelTooLate.
        *(NotFound(400, operation=op) for op in sorted(_RESULTS | _CANCELS)),
        # ModelRefused: the result of a request that failed is the model's 422.
        *(NotFound(422, operation=op) for op in sorted(_RESULTS)),
    ),
    replaced_checks=("negative_data_rejection", "positive_data_acceptance"),
    # At fal itself, the storage and the webhook keys are hosts of their own.
    server_names={"https://rest.fal.ai": "storage", "https://rest.alpha.fal.ai": "keys"},
)
