// The tray's own data layer (@edx/frontend-plugin-notifications, its unmodified source) and the platform
// library it runs on (@edx/frontend-platform: config, JWT auth with /login_refresh, CSRF), exposed to the
// browser suite as window.pnFrontend.
import { camelCaseObject, getConfig, mergeConfig } from '@edx/frontend-platform';
import {
  AxiosJwtAuthService, configure as configureAuth, fetchAuthenticatedUser, getAuthenticatedHttpClient,
} from '@edx/frontend-platform/auth';
import * as tray from '@edx/frontend-plugin-notifications/src/Notification/data/api';

window.pnFrontend = {
  camelCaseObject, getConfig, mergeConfig, AxiosJwtAuthService, configureAuth, fetchAuthenticatedUser,
  getAuthenticatedHttpClient, tray,
};
