from django.conf import settings
from django.utils import translation

from solidaren import uploads


class FrenchFirstLocaleMiddleware:
    """French for everyone, unless the person chose another language with the switcher.

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is not followed: the portal
    is French first, and an English page only appears on request (the language cookie).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class UploadSizeLimitMiddleware:
    """Refuses an oversized request body with the French 413 page, before anything reads it.

    Placed before every middleware and view that could read the body (CSRF reads the POST
    data): a request whose Content-Length passes the limit never has its body read. A body
    that turns out larger while it streams in is stopped by `solidaren.uploads`' upload handler,
    and the resulting error is answered with the same page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if uploads.declared_length(request) > uploads.request_max_bytes():
            return uploads.too_large_response(request)
        response = self.get_response(request)
        if uploads.upload_was_cut(request):
            return uploads.too_large_response(request)
        return response
