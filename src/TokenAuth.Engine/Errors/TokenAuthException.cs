using System;
using System.Net;

namespace TokenAuth.Errors
{
    /// <summary>Which call to the provider an error came from.</summary>
    public enum ProviderOperation
    {
        Token,
        Refresh,
        Revoke,
        WhoAmI,
        Request,
    }

    /// <summary>
    /// Base of every error TokenAuth raises. Messages are built only from non-secret parts (provider names,
    /// endpoints with query values removed, field names, provider messages scrubbed of known secrets).
    /// </summary>
    public abstract class TokenAuthException : Exception
    {
        protected TokenAuthException(string message, string? provider, Exception? inner = null)
            : base(message, inner)
        {
            Provider = provider;
        }

        /// <summary>The provider involved, when there is one.</summary>
        public string? Provider { get; }

        /// <summary>A stable name for the kind of failure, used by the cmdlets as the error id.</summary>
        public abstract string ErrorId { get; }
    }

    /// <summary>
    /// An answer with an error status (or a 200 carrying an error object), read in the answerer's own error shape: a
    /// provider's own endpoint refusing (<see cref="ProviderErrorException"/>) or an API request failing (<see cref="ApiErrorException"/>).
    /// </summary>
    public abstract class ErrorResponseException : TokenAuthException
    {
        private protected ErrorResponseException(string provider, ProviderOperation operation, Uri endpoint, HttpStatusCode statusCode,
            string? providerCode, string? providerMessage, string? hint, string? responseBody)
            : base(Compose(provider, operation, endpoint, statusCode, providerCode, providerMessage, hint), provider)
        {
            Operation = operation;
            Endpoint = endpoint;
            StatusCode = statusCode;
            ProviderCode = providerCode;
            ProviderMessage = providerMessage;
            Hint = hint;
            ResponseBody = responseBody;
        }

        public ProviderOperation Operation { get; }

        /// <summary>The endpoint called, with query values removed.</summary>
        public Uri Endpoint { get; }

        public HttpStatusCode StatusCode { get; }

        public string? ProviderCode { get; }

        public string? ProviderMessage { get; }

        /// <summary>What usually causes this, when TokenAuth can tell.</summary>
        public string? Hint { get; }

        /// <summary>The response body with every known secret and token scrubbed out, for inspection.</summary>
        public string? ResponseBody { get; }

        public override string ErrorId => Operation == ProviderOperation.Request ? "RequestFailed" : "ProviderRejected" + Operation;

        /// <summary>The same error, with what TokenAuth knows better about its cause.</summary>
        public ErrorResponseException WithHint(string hint) =>
            Create(Provider!, Operation, Endpoint, StatusCode, ProviderCode, ProviderMessage, hint, ResponseBody);

        /// <summary>The error for this operation: an API request's, or the refusal of one of the provider's own endpoints.</summary>
        public static ErrorResponseException Create(string provider, ProviderOperation operation, Uri endpoint, HttpStatusCode statusCode,
            string? providerCode, string? providerMessage, string? hint, string? responseBody = null) =>
            operation == ProviderOperation.Request
                ? new ApiErrorException(provider, endpoint, statusCode, providerCode, providerMessage, hint, responseBody)
                : new ProviderErrorException(provider, operation, endpoint, statusCode, providerCode, providerMessage, hint, responseBody);

        /// <summary>
        /// One line for a console's error view: provider, call, status and code, then the provider's own words,
        /// e.g. "Ankorstore token request refused (401 invalid_client): Client authentication failed".
        /// </summary>
        public string Summary
        {
            get
            {
                var what = Operation switch
                {
                    ProviderOperation.Token => "token request",
                    ProviderOperation.Refresh => "token refresh",
                    ProviderOperation.Revoke => "token revocation",
                    ProviderOperation.WhoAmI => "who-am-I request",
                    _ => "request",
                };
                var status = ((int)StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + (ProviderCode ?? SpacedName(StatusCode));
                var words = ProviderMessage != null && ProviderMessage != ProviderCode ? ": " + ProviderMessage : "";
                return $"{Provider} {what} refused ({status}){words}";
            }
        }

        /// <summary>"NotFound" as "Not Found": the status's own name, read as words.</summary>
        private static string SpacedName(HttpStatusCode status)
        {
            var name = status.ToString();
            var spaced = new System.Text.StringBuilder(name.Length + 4);
            for (var i = 0; i < name.Length; i++)
            {
                if (i > 0 && char.IsUpper(name[i]) && !char.IsUpper(name[i - 1]))
                {
                    spaced.Append(' ');
                }

                spaced.Append(name[i]);
            }

            return spaced.ToString();
        }

        private static string Compose(string provider, ProviderOperation operation, Uri endpoint, HttpStatusCode status,
            string? code, string? message, string? hint)
        {
            var what = operation switch
            {
                ProviderOperation.Token => "the token request",
                ProviderOperation.Refresh => "the token refresh",
                ProviderOperation.Revoke => "the token revocation",
                ProviderOperation.WhoAmI => "the who-am-I request",
                _ => "the request",
            };
            var text = $"{provider} refused {what} to {endpoint} with HTTP {(int)status} ({status})";
            if (code != null && message != null)
            {
                text += $": {code}: {message}";
            }
            else if (code != null || message != null)
            {
                text += ": " + (code ?? message);
            }

            return hint == null ? text + "." : $"{text}. {hint}";
        }
    }

    /// <summary>One of the provider's own endpoints (token, refresh, revoke, who-am-I) refused the call.</summary>
    public sealed class ProviderErrorException : ErrorResponseException
    {
        public ProviderErrorException(string provider, ProviderOperation operation, Uri endpoint, HttpStatusCode statusCode,
            string? providerCode, string? providerMessage, string? hint, string? responseBody = null)
            : base(provider, operation, endpoint, statusCode, providerCode, providerMessage, hint, responseBody)
        {
        }
    }

    /// <summary>An API request was answered with an error status (a 404 for a missing resource, a 403, a 500...).</summary>
    public sealed class ApiErrorException : ErrorResponseException
    {
        public ApiErrorException(string provider, Uri endpoint, HttpStatusCode statusCode, string? providerCode, string? providerMessage, string? hint,
            string? responseBody = null)
            : base(provider, ProviderOperation.Request, endpoint, statusCode, providerCode, providerMessage, hint, responseBody)
        {
        }
    }

    /// <summary>The provider answered "success" with something TokenAuth cannot read.</summary>
    public sealed class MalformedResponseException : TokenAuthException
    {
        public MalformedResponseException(string provider, ProviderOperation operation, Uri endpoint, string? field, string problem)
            : base($"{provider}'s answer to the {operation.ToString().ToLowerInvariant()} call at {endpoint} cannot be used: "
                + (field == null ? problem : $"field '{field}' {problem}") + ".", provider)
        {
            Operation = operation;
            Endpoint = endpoint;
            Field = field;
        }

        public ProviderOperation Operation { get; }

        public Uri Endpoint { get; }

        /// <summary>The response field at fault, as a path such as "data.expires"; null when the body as a whole is.</summary>
        public string? Field { get; }

        /// <summary>The body was an HTML or XML page where JSON was expected: often no API at that address at all.</summary>
        public bool HtmlPage { get; init; }

        public override string ErrorId => "MalformedProviderResponse";
    }

    /// <summary>
    /// A built-in provider's token path is TokenAuth's reading of a document that names none, and the service has no
    /// token endpoint there: the user must give the right path, which the message says how to do.
    /// </summary>
    public sealed class AssumedTokenPathException : TokenAuthException
    {
        public AssumedTokenPathException(string provider, string path, ProviderErrorException refusal)
            : base($"{provider} has no token endpoint at {refusal.Endpoint} (HTTP {(int)refusal.StatusCode}). The path {path} is TokenAuth's reading of "
                + $"{provider}'s document, which names none, so the real one may differ. Give the right path in a definition of your own: save a copy "
                + $"of the built-in one ((Get-TokenAuthProvider {provider}).DefinitionJson | Set-Content {provider}Custom.json), change its name and "
                + "token.path, register it (Register-TokenAuthProvider), and call it with -SecretName TokenAuth.{provider} to keep the stored "
                + "credential. If only a path prefix is missing, a -BaseUri that ends with it is enough.", provider, refusal)
        {
            Endpoint = refusal.Endpoint;
            StatusCode = refusal.StatusCode;
        }

        public Uri Endpoint { get; }

        public HttpStatusCode StatusCode { get; }

        public override string ErrorId => "AssumedTokenPathNotFound";
    }

    /// <summary>The provider could not be reached, did not answer in time, or its answer broke off.</summary>
    public sealed class ProviderUnreachableException : TokenAuthException
    {
        public ProviderUnreachableException(string provider, Uri endpoint, bool timedOut, TimeSpan? timeout, Exception? inner)
            : this(provider, endpoint, timedOut, timedOut
                ? $"{provider} did not answer within {timeout?.TotalSeconds:0.###} s at {endpoint}."
                : $"Could not reach {provider} at {endpoint}: {inner?.GetBaseException().Message ?? "connection failed"}.", inner)
        {
        }

        /// <summary>A timeout of a part of the call: "no answer arrived for" 5 s (-ConnectionTimeoutSeconds), say.</summary>
        public ProviderUnreachableException(string provider, Uri endpoint, bool timedOut, TimeSpan timeout, Exception? inner, string what)
            : this(provider, endpoint, timedOut, $"{provider} timed out at {endpoint}: {what} {timeout.TotalSeconds:0.###} s.", inner)
        {
        }

        private ProviderUnreachableException(string provider, Uri endpoint, bool timedOut, string message, Exception? inner)
            : base(message, provider, inner)
        {
            Endpoint = endpoint;
            TimedOut = timedOut;
        }

        /// <summary>The connection closed while the answer's body was being read.</summary>
        public static ProviderUnreachableException BrokenOff(string provider, Uri endpoint, Exception inner) =>
            new ProviderUnreachableException(provider, endpoint, false,
                $"The connection to {provider} at {endpoint} closed before the whole answer arrived: {inner.GetBaseException().Message}", inner);

        public Uri Endpoint { get; }

        public bool TimedOut { get; }

        public override string ErrorId => TimedOut ? "ProviderTimeout" : "ProviderUnreachable";
    }

    /// <summary>A credential is missing a field or breaks the provider's rules. Names the field, never its value.</summary>
    public sealed class CredentialException : TokenAuthException
    {
        public CredentialException(string provider, string field, string problem)
            : base($"The {provider} credential is not usable: {field} {problem}.", provider)
        {
            Field = field;
        }

        public string Field { get; }

        public override string ErrorId => "InvalidCredential";
    }

    /// <summary>A provider definition, environment or base URI is wrong or missing.</summary>
    public sealed class ProviderConfigurationException : TokenAuthException
    {
        public ProviderConfigurationException(string message, string? provider = null, string? location = null, Exception? inner = null)
            : base(message, provider, inner)
        {
            Location = location;
        }

        /// <summary>Where the problem is: a file, JSON path and line, or a parameter.</summary>
        public string? Location { get; }

        public override string ErrorId => "InvalidProviderConfiguration";
    }

    /// <summary>The provider has no way to do what was asked.</summary>
    public sealed class NotSupportedByProviderException : TokenAuthException
    {
        public NotSupportedByProviderException(string provider, string what)
            : base($"{what} is not supported by {provider}.", provider)
        {
        }

        public override string ErrorId => "NotSupportedByProvider";
    }

    /// <summary>The response could not be written to the -OutFile path. Whatever was at that path is left as it was.</summary>
    public sealed class OutFileException : TokenAuthException
    {
        public OutFileException(string provider, string path, Exception inner)
            : base($"The response from {provider} could not be written to {path}: {inner.Message} Any file already at that path was left as it was.", provider, inner)
        {
            Path = path;
        }

        public string Path { get; }

        public override string ErrorId => "OutFileFailed";
    }

    /// <summary>A request would send the token where it must not go.</summary>
    public sealed class UnsafeRequestException : TokenAuthException
    {
        public UnsafeRequestException(string provider, string message)
            : base(message, provider)
        {
        }

        public override string ErrorId => "UnsafeRequest";
    }
}

namespace TokenAuth.Errors
{
    /// <summary>What was wrong with a certificate: the server's, the client's own, or a bundle of trusted ones.</summary>
    public enum CertificateProblem
    {
        /// <summary>The server's certificate is for another name.</summary>
        NameMismatch,

        /// <summary>The server's certificate chains to a root neither the system nor TokenAuth's bundle trusts.</summary>
        Untrusted,

        /// <summary>The server's certificate (or one above it) has expired or is not valid yet.</summary>
        Expired,

        Revoked,

        /// <summary>Any other failed check of the server's certificate, or a TLS handshake that failed.</summary>
        Rejected,

        /// <summary>The server asked for a client certificate and none was configured.</summary>
        ClientCertificateRequired,

        /// <summary>The server did not accept the client certificate presented.</summary>
        ClientCertificateRefused,

        /// <summary>The client certificate could not be read, or has no private key.</summary>
        ClientCertificateUnusable,

        /// <summary>A bundle of trusted certificates could not be read.</summary>
        BundleUnusable,
    }

    /// <summary>A certificate check failed, or a certificate could not be used; the message says which check and what to do.</summary>
    public sealed class CertificateException : TokenAuthException
    {
        public CertificateException(CertificateProblem problem, string? provider, string message, Exception? inner = null)
            : base(message, provider, inner)
        {
            Problem = problem;
        }

        public CertificateProblem Problem { get; }

        public override string ErrorId => Problem switch
        {
            CertificateProblem.ClientCertificateRequired or CertificateProblem.ClientCertificateRefused or CertificateProblem.ClientCertificateUnusable => Problem.ToString(),
            CertificateProblem.BundleUnusable => "CertificateBundleUnusable",
            _ => "Certificate" + Problem,
        };
    }

    /// <summary>
    /// No client assertion could be had from its source (the pipeline's OIDC endpoint, a variable, a file, a script
    /// block), or what came is not one. Names the source and what is wrong, never the assertion.
    /// </summary>
    public sealed class ClientAssertionException : TokenAuthException
    {
        public ClientAssertionException(string provider, string source, string problem, Exception? inner = null)
            : base($"{provider}: no client assertion from {source}: {problem}", provider, inner)
        {
            AssertionSource = source;
        }

        /// <summary>Where the assertion was to come from, as the user named it.</summary>
        public string AssertionSource { get; }

        public override string ErrorId => "ClientAssertionUnavailable";
    }

    /// <summary>The proxy refused the call (407) or could not be reached. Names the proxy and its user, never the password.</summary>
    public sealed class ProxyException : TokenAuthException
    {
        public ProxyException(string? provider, string proxy, bool authenticationRequired, string message, Exception? inner = null)
            : base(message, provider, inner)
        {
            Proxy = proxy;
            AuthenticationRequired = authenticationRequired;
        }

        /// <summary>The proxy, as it may be shown.</summary>
        public string Proxy { get; }

        public bool AuthenticationRequired { get; }

        public override string ErrorId => AuthenticationRequired ? "ProxyAuthenticationRequired" : "ProxyUnreachable";
    }

    /// <summary>The caller's request cannot be sent as it stands (a malformed URI, a header TokenAuth owns...).</summary>
    public sealed class InvalidRequestException : TokenAuthException
    {
        public InvalidRequestException(string? provider, string message)
            : base(message, provider)
        {
        }

        public override string ErrorId => "InvalidRequest";
    }
}
