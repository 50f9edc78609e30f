"""Apikley's contract facts (see the package's docstring)."""

from . import ENVELOPE_DEFEATS, ContractFacts, NotFound, TaskShape

FACTS = ContractFacts(
    shape=TaskShape(
        provider="apikley",
        create="kling-ai-avatar-v1-pro",
        read="getTaskDetails",
        balance="getCredits",
        id_param="taskId",
        created_id="taskId",
        state="state",
        created_at="createTime",
        completed_at="completeTime",
        success="success",
        results=("resultJson", "@json", "resultUrls"),
        failure_fields=(("failCode",), ("failMsg",)),
        cost=None,  # neither recordInfo nor the callback schema reports a cost
        balance_path=("data",),
        not_found=(404, 422),
    ),
    uploads=frozenset({"uploadFileStream", "uploadFileBase64", "uploadFileUrl"}),
    # uploadFileUrl fetches the URL it is given.
    lookups=frozenset({"getTaskDetails", "getDownloadUrl", "uploadFileUrl"}),
    not_found=(
        NotFound(404),
        # The spec documents it; it is also the answer right after creation.
        NotFound(422, message="recordInfo is null"),
        # The file-upload API has no 404 in its code set (200/400/401/405/500): a fileUrl it
        # cannot fetch is answered 400 there.
        NotFound(400, operation="uploadFileUrl"),
    ),
    server_names={"/file-upload": "uploads"},
    replaced_checks=ENVELOPE_DEFEATS,
)
