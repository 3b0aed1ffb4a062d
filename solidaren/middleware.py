from django.conf import settings
from django.utils import translation


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
