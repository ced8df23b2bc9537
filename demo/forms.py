"""Forms of the demo pages; every field is validated before any signal is emitted."""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms

from demo.course import learners
from demo.models import CourseUpdate, Grade, Post, Reply


class PostForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = ["title", "body", "to_all_learners"]
        labels = {"to_all_learners": "Announce to all learners (course staff only)"}


class ReplyForm(forms.ModelForm):
    class Meta:
        model = Reply
        fields = ["body"]
        labels = {"body": "Your reply"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}


class CourseUpdateForm(forms.ModelForm):
    class Meta:
        model = CourseUpdate
        fields = ["text"]
        labels = {"text": "Update"}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class GradeForm(forms.ModelForm):
    class Meta:
        model = Grade
        fields = ["learner", "assignment", "points_earned", "points_possible"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = learners()

    def clean(self) -> dict:
        data = super().clean()
        earned, possible = data.get("points_earned"), data.get("points_possible")
        if earned is not None and possible is not None and earned > possible:
            raise forms.ValidationError("Points earned cannot exceed points possible.")
        if possible == 0:
            raise forms.ValidationError("Points possible must be at least 1.")
        return data


def _timezone_choices() -> list[tuple[str, str]]:
    return [("", "UTC (default)")] + [(name, name) for name in sorted(available_timezones())]


class TimezoneForm(forms.Form):
    timezone = forms.ChoiceField(choices=_timezone_choices, required=False, label="Your timezone")
    digest_frequency = forms.ChoiceField(
        choices=[
            ("default", "The site's schedule"),
            ("daily_morning", "Daily digest at 07:00"),
            ("daily_evening", "Daily digest at 18:00"),
            ("twice_daily", "Daily digest at 07:00 and 18:00"),
            ("weekly_friday", "Weekly digest on Friday, 07:00"),
            ("weekly_saturday", "Weekly digest on Saturday, 07:00"),
            ("weekly_sunday", "Weekly digest on Sunday, 07:00"),
        ],
        required=False,
        label="Digest schedule",
    )
