"""Integer lookups that a tampered value cannot turn into a server error.

Django leaves an integer the column cannot hold out of `exact`, `gt`, `lt`... (no row can
match it), but not out of `in`: on SQLite, `pk__in=[99999999999999999999]` raises
OverflowError. A multiple choice posted with such an id (the volunteer profile's checkboxes,
the back-office's many-to-many fields) then answered 500 instead of the form's French error.
"""

from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerFieldIn(In):
    """`in` without the values out of the column's range, as `exact` does."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            internal_type = self.lhs.output_field.get_internal_type()
            low, high = connection.ops.integer_field_range(internal_type)
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)
