from ocr_review.roles import is_supervisor


def roles(request) -> dict:
    return {"perms_supervisor": is_supervisor(getattr(request, "user", None))}
