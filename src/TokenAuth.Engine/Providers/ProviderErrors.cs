using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;

namespace TokenAuth.Providers
{
    /// <summary>
    /// Reads a provider's refusal, of a token call or of an API request alike: its own error code and message where its
    /// definition (or a common shape) puts them, scrubbed of the call's secrets, and a hint at what to check.
    /// </summary>
    internal static class ProviderErrors
    {
        /// <summary>Turns a non-success response (its body's first 64 KiB) into the provider's own code and message, plus a hint.</summary>
        public static ErrorResponseException Read(ProviderTarget target, CallContext call, Uri endpoint, HttpResponseMessage response, BodyPrefix errorBody)
        {
            var operation = call.Operation;
            var status = response.StatusCode;
            var contentType = response.Content.Headers.ContentType?.MediaType;
            var definition = target.Definition;
            var body = errorBody.Text;
            string? code = null;
            string? message = null;
            var trimmed = body.TrimStart();
            if (trimmed.StartsWith("{", StringComparison.Ordinal) || trimmed.StartsWith("[", StringComparison.Ordinal))
            {
                try
                {
                    using var document = JsonDocument.Parse(body);
                    var root = document.RootElement;
                    (code, message) = ReadCodeAndMessage(definition, root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 ? root[0] : root);
                }
                catch (JsonException)
                {
                    message = errorBody.Complete ? "(the error body is not valid JSON)" : "(the error body is over 64 KiB and was not read past that)";
                }
            }
            else if (trimmed.StartsWith("<", StringComparison.Ordinal))
            {
                message = "(the error body is an HTML page)";
            }
            else if (trimmed.Length > 0 && trimmed.Length <= 300 && contentType != null && contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                message = trimmed.Trim();
            }

            var scrub = Redaction.ScrubberFor(call.SensitiveValues());
            code = AsShown(scrub, code);
            message = AsShown(scrub, message);
            return ErrorResponseException.Create(definition.Name, operation, endpoint, status, code, message,
                HintFor(target, operation, status, code, message), scrub(body));
        }

        /// <summary>The provider's error code and message in an error object: the definition's paths first, then the common shapes.</summary>
        internal static (string? Code, string? Message) ReadCodeAndMessage(ProviderDefinition definition, JsonElement error) =>
            (JsonFieldPath.FirstScalarText(error, definition.Errors.CodePaths.Concat(BuiltInProviders.CommonCodePaths)),
                JsonFieldPath.FirstScalarText(error, definition.Errors.MessagePaths.Concat(BuiltInProviders.CommonMessagePaths)));

        /// <summary>A provider's words as they may be shown at a console: known secrets scrubbed, then <see cref="Redaction.Printable"/>.</summary>
        internal static string? AsShown(Func<string?, string?> scrub, string? text) => scrub(text) is { } scrubbed ? Redaction.Printable(scrubbed) : null;

        internal static string? HintFor(ProviderTarget target, ProviderOperation operation, HttpStatusCode status, string? code, string? message)
        {
            var text = ((code ?? "") + " " + (message ?? "")).ToLowerInvariant();
            if (text.Contains("expired") || text.Contains("not yet valid") || text.Contains("clock") || text.Contains("skew"))
            {
                // The machine's own clock, not the engine's: it is what the user is asked to check.
                return $"The provider finds the token expired or not yet valid; if that happens to a fresh token, check this machine's clock (it reads {DateTimeOffset.UtcNow:u}).";
            }

            var tokenCall = operation == ProviderOperation.Token || operation == ProviderOperation.Refresh;
            var code401or403 = status == HttpStatusCode.Unauthorized || status == HttpStatusCode.Forbidden;
            if (tokenCall && (code401or403 || status == HttpStatusCode.BadRequest || status == HttpStatusCode.OK) && target.Definition.Token.TakesAssertion)
            {
                return target.Definition.Token.ClientAuthentication == ClientAuthentication.PrivateKeyJwt
                    ? $"Check that the certificate that signs the assertion is the one registered for the client at {target.BaseUri}, and that this machine's clock is right."
                    : $"Check that the client at {target.BaseUri} has a federated credential matching the assertion's issuer, subject and audience.";
            }

            if (tokenCall && (code401or403 || status == HttpStatusCode.BadRequest || status == HttpStatusCode.OK))
            {
                return $"Check the credential, and that it belongs to the '{target.Environment}' environment at {target.BaseUri}: live and sandbox credentials differ.";
            }

            if (tokenCall && (status == HttpStatusCode.NotFound || status == HttpStatusCode.MethodNotAllowed))
            {
                return "No token endpoint answers at this address: check the environment or base URI (a path prefix such as /api may be missing).";
            }

            if ((int)status == 429)
            {
                return "The provider is throttling requests and the retries allowed are used up; wait, or allow more retries.";
            }

            if ((int)status >= 500)
            {
                return "The provider failed on its side; try again later.";
            }

            if (status == HttpStatusCode.Forbidden)
            {
                return "The token was accepted but does not allow this; check the scope or the account's permissions.";
            }

            return null;
        }
    }
}
