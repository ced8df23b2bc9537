# platform-notifications: create its tables, then switch its waffle flags on for everyone.
# Safe to run any number of times: migrate is a no-op once applied, and a flag that already exists is
# left exactly as it is, so a flag an operator has since switched off stays off.
./manage.py lms migrate platform_notifications

existing_flags="$(./manage.py lms waffle_flag --list)"
for flag in notifications.enable_notifications notifications.enable_email_notifications; do
    if printf '%s\n' "$existing_flags" | grep -qxF "NAME: $flag"; then
        echo "Waffle flag $flag already exists: left unchanged"
    else
        ./manage.py lms waffle_flag --everyone --create "$flag"
        echo "Waffle flag $flag created, on for everyone"
    fi
done
