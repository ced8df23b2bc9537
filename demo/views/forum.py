"""The course forum: posts and replies; creating either emits a notification signal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from demo import events, kinds
from demo.course import COURSE_ID, is_course_staff
from demo.forms import PostForm, ReplyForm
from demo.models import Post
from platform_notifications import service


@login_required
def forum(request: HttpRequest) -> HttpResponse:
    staff = is_course_staff(request.user)
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["to_all_learners"] and not staff:
            form.add_error(None, "Only course staff can announce to all learners.")
        else:
            # The post and the notification request commit together; fan-out is queued after commit.
            with transaction.atomic():
                post = form.save(commit=False)
                post.course_id, post.author = COURSE_ID, request.user
                post.save()
                events.post_created(post)
            messages.success(request, "Posted.")
            return redirect("demo:post", post.pk)
    posts = Post.objects.filter(course_id=COURSE_ID).select_related("author")
    return render(request, "demo/forum.html", {"posts": posts, "form": form, "is_staff": staff})


@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("author"), pk=pk, course_id=COURSE_ID)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            reply = form.save(commit=False)
            reply.post, reply.author = post, request.user
            reply.save()
            if reply.author_id != post.author_id:
                events.reply_posted(reply)
            # Followers of the post (any platform's kind, through the service API); the replier is left out.
            service.send(
                kinds.THREAD_REPLY,
                {"followers_of": post},
                title=f"{reply.author.get_full_name() or reply.author.username} replied in “{post.title}”",
                body=reply.body[:200],
                url=reverse("demo:post", args=[post.pk]),
                actor=reply.author,
            )
        messages.success(request, "Reply posted.")
        return redirect("demo:post", post.pk)
    replies = post.replies.select_related("author")
    following = service.is_following(request.user, post)
    return render(request, "demo/post.html", {"post": post, "replies": replies, "form": form, "following": following})
