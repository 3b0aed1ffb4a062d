"""Project-wide models: the portal's user, whose login is the e-mail address, and the task
outbox (Celery tasks recorded with the data they act on)."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from solidaren import lookups  # noqa: F401  (registers the integer lookups at start-up)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account: city agent (is_staff), association coordinator or volunteer.

    Roles are not a field: they follow from `is_staff`, from memberships in associations and
    from the existence of a volunteer profile (see `solidaren.access`).
    """

    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("agent de la collectivité"),
        default=False,
        help_text=_("Donne accès au back-office et au tableau de bord des agents."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("date d'inscription"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class OutboxTask(models.Model):
    """A Celery task written in the same transaction as the data it acts on.

    Why: a task sent with `transaction.on_commit(task.delay)` is lost when the broker does not
    answer at that moment, although the data are committed. The row is committed with the data,
    sent after the commit (`sent_at` set), and sent again by the sweep while `sent_at` is empty
    (see `solidaren.outbox`). `dedupe_key` keeps one unsent row per piece of work.
    """

    task = models.CharField(_("tâche"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("arguments nommés"), default=dict, blank=True)
    dedupe_key = models.CharField(_("clé de dédoublonnage"), max_length=200, blank=True)
    task_id = models.UUIDField(_("identifiant Celery"), default=uuid.uuid4, unique=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("tentatives d'envoi"), default=0)
    last_error = models.TextField(_("dernière erreur d'envoi"), blank=True)

    class Meta:
        verbose_name = _("tâche à envoyer")
        verbose_name_plural = _("tâches à envoyer")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="outbox_unsent_by_age",
            ),
            models.Index(fields=["dedupe_key", "sent_at"], name="outbox_by_dedupe_key"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(sent_at__isnull=True) & ~Q(dedupe_key=""),
                name="outbox_one_unsent_row_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)!r}"
