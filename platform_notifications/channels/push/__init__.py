"""Mobile push: FCM (firebase-admin) and APNs devices through django-push-notifications."""
