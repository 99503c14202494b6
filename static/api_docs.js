// The API reference page: Swagger UI over /api/v1/openapi.json. Calls tried from the page go out with the
// signed-in session; unsafe ones need the CSRF token, fetched once and added here.
(function () {
  const root = document.getElementById("swagger-ui");
  let csrf = null;
  async function csrfToken() {
    if (csrf === null) {
      const answer = await fetch(root.dataset.csrf, { credentials: "same-origin" });
      csrf = answer.ok ? (await answer.json()).csrf_token : "";
    }
    return csrf;
  }
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    requestInterceptor: async (request) => {
      if (!["GET", "HEAD", "OPTIONS"].includes((request.method || "GET").toUpperCase())) {
        request.headers["X-CSRFToken"] = await csrfToken();
      }
      return request;
    },
  });
})();
