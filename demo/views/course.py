"""Course updates and grading: staff actions that notify learners."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from demo import events
from demo.course import COURSE_ID, is_course_staff
from demo.forms import CourseUpdateForm, GradeForm
from demo.models import CourseUpdate, Grade


@login_required
def updates(request: HttpRequest) -> HttpResponse:
    staff = is_course_staff(request.user)
    form = CourseUpdateForm(request.POST or None) if staff else None
    if request.method == "POST":
        if not staff:
            return HttpResponse("Only course staff can publish updates.", status=403)
        if form.is_valid():
            with transaction.atomic():
                update = form.save(commit=False)
                update.course_id, update.author = COURSE_ID, request.user
                update.save()
                events.update_published(update)
            messages.success(request, "Update published.")
            return redirect("demo:updates")
    items = CourseUpdate.objects.filter(course_id=COURSE_ID).select_related("author")
    return render(request, "demo/updates.html", {"updates": items, "form": form, "is_staff": staff})


@login_required
def grading(request: HttpRequest) -> HttpResponse:
    staff = is_course_staff(request.user)
    form = GradeForm(request.POST or None) if staff else None
    if request.method == "POST":
        if not staff:
            return HttpResponse("Only course staff can grade.", status=403)
        if form.is_valid():
            with transaction.atomic():
                grade = form.save(commit=False)
                grade.course_id, grade.grader = COURSE_ID, request.user
                grade.save()
                events.grade_assigned(grade)
            messages.success(request, f"Grade sent to {grade.learner.get_username()}.")
            return redirect("demo:grading")
    grades = Grade.objects.filter(course_id=COURSE_ID).select_related("learner")
    if not staff:
        grades = grades.filter(learner=request.user)
    return render(request, "demo/grading.html", {"grades": grades, "form": form, "is_staff": staff})
