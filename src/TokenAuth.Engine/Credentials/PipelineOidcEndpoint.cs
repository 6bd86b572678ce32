using System;
using System.Text.Json;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// A pipeline's OIDC endpoint (GitHub Actions', Azure Pipelines'): where the agent's variables say it is, and what
    /// its answer holds. The bearer token it takes goes there and nowhere else.
    /// </summary>
    internal static class PipelineOidcEndpoint
    {
        /// <summary>
        /// The pipeline's OIDC endpoint, from the two variables the agent sets: an https address (or loopback http) and
        /// the bearer token for it, which goes there and nowhere else.
        /// </summary>
        public static (Uri Endpoint, string Bearer) Locate(AssertionFetch fetch, string source, Func<string, string?> environment,
            string urlVariable, string tokenVariable, string missingUrl, string missingToken)
        {
            var url = environment(urlVariable);
            if (string.IsNullOrWhiteSpace(url))
            {
                throw new ClientAssertionException(fetch.Provider, source, $"{urlVariable} is not set: {missingUrl}");
            }

            var bearer = environment(tokenVariable);
            if (string.IsNullOrWhiteSpace(bearer))
            {
                throw new ClientAssertionException(fetch.Provider, source, $"{tokenVariable} is not set: {missingToken}");
            }

            if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || !ProviderTarget.IsTokenSafe(endpoint))
            {
                throw new ClientAssertionException(fetch.Provider, source, $"{urlVariable} is not an https address, so {tokenVariable} is not sent to it");
            }

            if (!HeaderValues.IsVisible(bearer))
            {
                throw new ClientAssertionException(fetch.Provider, source, $"{tokenVariable} holds spaces, line breaks or other characters a header cannot carry");
            }

            return (endpoint, bearer!);
        }

        /// <summary>The string at <paramref name="field"/> of the pipeline endpoint's JSON answer, or a refusal naming the status and its message.</summary>
        public static string ReadAnswer(AssertionFetch fetch, string source, string endpointName, AssertionAnswer answer, string field, string refusedHint)
        {
            if (answer.Status < 200 || answer.Status > 299)
            {
                var said = MessageIn(answer.Body);
                throw new ClientAssertionException(fetch.Provider, source,
                    $"{endpointName} answered {answer.Status}{(said == null ? "" : ": " + said)}{(answer.Status == 401 || answer.Status == 403 || answer.Status == 404 ? " (" + refusedHint + ")" : "")}");
            }

            try
            {
                using var document = JsonDocument.Parse(answer.Body);
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    return JsonText.String(value);
                }
            }
            catch (JsonException)
            {
            }

            throw new ClientAssertionException(fetch.Provider, source, $"{endpointName}'s answer has no '{field}' string");
        }

        /// <summary>An error answer's own words, short and printable: its JSON message, or short plain text.</summary>
        private static string? MessageIn(string body)
        {
            var trimmed = body.Trim();
            try
            {
                using var document = JsonDocument.Parse(trimmed);
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                {
                    trimmed = JsonText.String(message);
                }
            }
            catch (JsonException)
            {
            }

            return trimmed.Length == 0 || trimmed.Length > 300 || trimmed[0] == '<' ? null : Redaction.Printable(trimmed);
        }
    }
}
