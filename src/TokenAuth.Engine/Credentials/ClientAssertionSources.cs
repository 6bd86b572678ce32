using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// What the caller's host does for a client assertion source that the engine cannot: run code on the caller's
    /// own thread (PowerShell runs a script block only on its pipeline thread), and hide a fetched assertion from a CI
    /// system's logs. The cmdlets' <see cref="ITokenAuthLog"/> implements it, so it travels with each call.
    /// </summary>
    public interface IClientAssertionHost
    {
        Task<string> RunOnCallerThreadAsync(Func<string> produce, CancellationToken cancellationToken);

        /// <summary>A credential just fetched, for the CI's log masking (GitHub Actions' add-mask, Azure Pipelines' setsecret).</summary>
        void RegisterSecret(string value);
    }

    /// <summary>
    /// Where a federated client assertion comes from (workload identity federation): the pipeline's own OIDC token
    /// (GitHub Actions, Azure Pipelines), an environment variable, a file (a Kubernetes projected service-account
    /// token), or the caller's code. A fresh one is fetched for every token request and kept by nothing but that
    /// request: these tokens expire in minutes and are credentials.
    /// </summary>
    public abstract class ClientAssertionSource
    {
        /// <summary>The sources as a definition's token.assertion.source and -ClientAssertion name them.</summary>
        public const string Syntax = AssertionSourceName.Syntax;

        /// <summary>The longest assertion a variable or file may hold: OIDC tokens are a few KiB.</summary>
        private const int MaxLength = 64 * 1024;

        private protected ClientAssertionSource(string description, string identity)
        {
            // Shown in warnings and errors, and a definition (anyone's JSON) may name a source: printable, as every foreign text.
            Description = Redaction.Printable(description);
            Identity = identity;
        }

        /// <summary>The source as the user named it (GitHubActions:api://AzureADTokenExchange, Env:NAME, File:/path...).</summary>
        public string Description { get; }

        /// <summary>What tells this source's tokens apart in the cache from another source's.</summary>
        internal string Identity { get; }

        /// <summary>What the source takes from this machine, in a user's words: shown before a definition's source is consented to.</summary>
        public abstract string Takes { get; }

        /// <summary>Whether the source is the caller's own code (a script block), which runs only where the caller runs.</summary>
        public bool IsCallerCode => this is CallerThreadSource;

        public override string ToString() => Description;

        internal abstract Task<string> FetchAsync(AssertionFetch fetch);

        /// <summary>A source by name (<see cref="Syntax"/>); a relative file path is taken from <paramref name="baseFolder"/>.</summary>
        /// <exception cref="ArgumentException">Not a source; never quoting the text when it looks like an assertion itself.</exception>
        public static ClientAssertionSource Parse(string text, string? baseFolder = null) => Parse(text, baseFolder, Environment.GetEnvironmentVariable);

        internal static ClientAssertionSource Parse(string text, string? baseFolder, Func<string, string?> environment)
        {
            var name = AssertionSourceName.Parse(text, baseFolder);
            return name.Kind switch
            {
                AssertionSourceKind.GitHubActions => new GitHubActionsSource(name.Argument, environment),
                AssertionSourceKind.AzureDevOps => new AzureDevOpsSource(name.Argument, environment),
                AssertionSourceKind.Environment => new EnvironmentVariableSource(name.Argument!, environment),
                _ => new FileSource(name.Argument, environment),
            };
        }

        /// <summary>The caller's own code (a PowerShell script block), run on the caller's thread through its <see cref="IClientAssertionHost"/>.</summary>
        /// <param name="identity">What tells this code's tokens apart from other code's in the cache (a hash of its text).</param>
        public static ClientAssertionSource OnCallerThread(string description, string identity, Func<string> produce) =>
            new CallerThreadSource(description, identity, produce);

        /// <summary>
        /// The fetched text as an assertion, or a named refusal that never quotes it: a signed JWT (three base64url
        /// parts) of at most 64 KiB that has not expired by this machine's clock.
        /// </summary>
        internal static string Checked(string? fetched, string provider, string source, DateTimeOffset now)
        {
            var assertion = fetched?.Trim();
            if (string.IsNullOrEmpty(assertion))
            {
                throw new ClientAssertionException(provider, source, "it is empty");
            }

            if (assertion!.Length > MaxLength)
            {
                throw new ClientAssertionException(provider, source, $"it is over {MaxLength / 1024} KiB, too long for an assertion");
            }

            var parts = assertion.Split('.');
            if (parts.Length != 3 || parts.Any(part => part.Length == 0 || !part.All(IsBase64UrlCharacter)))
            {
                throw new ClientAssertionException(provider, source, "it is not a signed JWT (three base64url parts joined by dots)");
            }

            if (ExpiryOf(parts[1]) is { } expires && expires <= now)
            {
                throw new ClientAssertionException(provider, source,
                    $"it expired at {expires.UtcDateTime:u} (this machine's clock reads {now.UtcDateTime:u}); whatever issues it must renew it");
            }

            return assertion;
        }

        private static bool IsBase64UrlCharacter(char c) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';

        /// <summary>The JWT's exp, when its payload is JSON with a numeric one; null: nothing to check against.</summary>
        private static DateTimeOffset? ExpiryOf(string payload)
        {
            try
            {
                using var document = JsonDocument.Parse(ClientAssertion.FromBase64Url(payload));
                return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("exp", out var exp)
                    && exp.ValueKind == JsonValueKind.Number && exp.TryGetInt64(out var seconds) && seconds > 0 && seconds < 253402300800
                    ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                    : null;
            }
            catch (Exception ex) when (ex is FormatException || ex is JsonException)
            {
                return null;
            }
        }

        private protected static string ReadLimited(string provider, string source, TextReader reader)
        {
            var buffer = new char[MaxLength + 1];
            var read = 0;
            int count;
            while (read < buffer.Length && (count = reader.Read(buffer, read, buffer.Length - read)) > 0)
            {
                read += count;
            }

            return read > MaxLength
                ? throw new ClientAssertionException(provider, source, $"it is over {MaxLength / 1024} KiB, too long for an assertion")
                : new string(buffer, 0, read);
        }

        /// <summary>
        /// The pipeline's OIDC endpoint, from the two variables the agent sets: an https address (or loopback http) and
        /// the bearer token for it, which goes there and nowhere else.
        /// </summary>
        private protected static (Uri Endpoint, string Bearer) PipelineEndpoint(AssertionFetch fetch, string source, Func<string, string?> environment,
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
        private protected static string ReadAnswer(AssertionFetch fetch, string source, string endpointName, AssertionAnswer answer, string field, string refusedHint)
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
                    return value.GetString()!;
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
                    trimmed = message.GetString()!;
                }
            }
            catch (JsonException)
            {
            }

            return trimmed.Length == 0 || trimmed.Length > 300 || trimmed[0] == '<' ? null : Redaction.Printable(trimmed);
        }
    }

    /// <summary>A call to a pipeline's OIDC endpoint, answered: its status and body (an error body's first 64 KiB).</summary>
    internal readonly struct AssertionAnswer
    {
        public AssertionAnswer(int status, string body)
        {
            Status = status;
            Body = body;
        }

        public int Status { get; }

        public string Body { get; }
    }

    /// <summary>One token request's fetch of an assertion: whose, the caller's host, and how it reaches a pipeline's OIDC endpoint.</summary>
    internal sealed class AssertionFetch
    {
        private readonly Func<HttpMethod, Uri, string, Task<AssertionAnswer>> _send;

        public AssertionFetch(string provider, IClientAssertionHost? host, CancellationToken cancellation, Func<HttpMethod, Uri, string, Task<AssertionAnswer>> send)
        {
            Provider = provider;
            Host = host;
            Cancellation = cancellation;
            _send = send;
        }

        public string Provider { get; }

        public IClientAssertionHost? Host { get; }

        public CancellationToken Cancellation { get; }

        /// <summary>Sends to the endpoint with the bearer token (POSTs an empty JSON object), within the token request's time.</summary>
        public Task<AssertionAnswer> SendAsync(HttpMethod method, Uri endpoint, string bearer) => _send(method, endpoint, bearer);
    }

    /// <summary>
    /// GitHub Actions' OIDC token for the job (actions/toolkit's getIDToken): GET ACTIONS_ID_TOKEN_REQUEST_URL with
    /// ACTIONS_ID_TOKEN_REQUEST_TOKEN as bearer and the audience asked for, answered {"value": jwt}.
    /// </summary>
    internal sealed class GitHubActionsSource : ClientAssertionSource
    {
        private readonly string? _audience;
        private readonly Func<string, string?> _environment;

        public GitHubActionsSource(string? audience, Func<string, string?> environment)
            : base(audience == null ? "GitHubActions" : "GitHubActions:" + audience, "github-actions " + audience)
        {
            _audience = audience;
            _environment = environment;
        }

        public override string Takes => "the GitHub Actions job's OIDC token (with ACTIONS_ID_TOKEN_REQUEST_TOKEN), for "
            + (_audience == null ? "GitHub's default audience" : $"the audience '{Redaction.Printable(_audience)}'");

        internal override async Task<string> FetchAsync(AssertionFetch fetch)
        {
            var (endpoint, bearer) = PipelineEndpoint(fetch, Description, _environment, "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                "not running in GitHub Actions, or the job lacks `permissions: id-token: write`?",
                "the runner sets it only for a job with `permissions: id-token: write`");
            if (_audience != null)
            {
                endpoint = new Uri(endpoint.AbsoluteUri + (string.IsNullOrEmpty(endpoint.Query) ? "?" : "&") + "audience=" + Uri.EscapeDataString(_audience));
            }

            var answer = await fetch.SendAsync(HttpMethod.Get, endpoint, bearer).ConfigureAwait(false);
            return ReadAnswer(fetch, Description, "GitHub Actions' OIDC token endpoint", answer, "value", "does the job have `permissions: id-token: write`?");
        }
    }

    /// <summary>
    /// Azure Pipelines' OIDC token (the oidctoken REST call, as the Azure CLI task makes it): POST to
    /// SYSTEM_OIDCREQUESTURI with SYSTEM_ACCESSTOKEN as bearer, for a service connection (its workload identity
    /// federation) or, without one, the pipeline itself; answered {"oidcToken": jwt}.
    /// </summary>
    internal sealed class AzureDevOpsSource : ClientAssertionSource
    {
        private readonly string? _serviceConnectionId;
        private readonly Func<string, string?> _environment;

        public AzureDevOpsSource(string? serviceConnectionId, Func<string, string?> environment)
            : base(serviceConnectionId == null ? "AzureDevOps" : "AzureDevOps:" + serviceConnectionId, "azure-devops " + serviceConnectionId?.ToLowerInvariant())
        {
            _serviceConnectionId = serviceConnectionId;
            _environment = environment;
        }

        public override string Takes => "Azure Pipelines' OIDC token (with SYSTEM_ACCESSTOKEN), for "
            + (_serviceConnectionId == null ? "the pipeline" : "the service connection " + _serviceConnectionId);

        internal override async Task<string> FetchAsync(AssertionFetch fetch)
        {
            var (endpoint, bearer) = PipelineEndpoint(fetch, Description, _environment, "SYSTEM_OIDCREQUESTURI", "SYSTEM_ACCESSTOKEN",
                "not running in an Azure Pipelines job?",
                "map it into the step's environment (env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)); the agent gives it to no script unasked");
            var query = "api-version=7.1-preview.1" + (_serviceConnectionId == null ? "" : "&serviceConnectionId=" + Uri.EscapeDataString(_serviceConnectionId));
            endpoint = new Uri(endpoint.AbsoluteUri + (string.IsNullOrEmpty(endpoint.Query) ? "?" : "&") + query);
            var answer = await fetch.SendAsync(HttpMethod.Post, endpoint, bearer).ConfigureAwait(false);
            return ReadAnswer(fetch, Description, "Azure DevOps' oidctoken endpoint", answer, "oidcToken",
                "is the service connection id right, and may this pipeline use that connection?");
        }
    }

    /// <summary>An environment variable, read afresh for each token request.</summary>
    internal sealed class EnvironmentVariableSource : ClientAssertionSource
    {
        private readonly string _name;
        private readonly Func<string, string?> _environment;

        public EnvironmentVariableSource(string name, Func<string, string?> environment)
            : base("Env:" + name, "env " + name)
        {
            _name = name;
            _environment = environment;
        }

        public override string Takes => $"the value of the environment variable {_name}";

        internal override Task<string> FetchAsync(AssertionFetch fetch)
        {
            var value = _environment(_name);
            return string.IsNullOrEmpty(value)
                ? throw new ClientAssertionException(fetch.Provider, Description, $"the environment variable {_name} is not set")
                : Task.FromResult(ReadLimited(fetch.Provider, Description, new StringReader(value!)));
        }
    }

    /// <summary>
    /// A file, read afresh for each token request, since whatever writes it (Kubernetes' projected service-account
    /// token, the Azure workload identity webhook) replaces it before it expires. Without a path: AZURE_FEDERATED_TOKEN_FILE's.
    /// </summary>
    internal sealed class FileSource : ClientAssertionSource
    {
        private const string AzureTokenFileVariable = "AZURE_FEDERATED_TOKEN_FILE";
        private readonly string? _path;
        private readonly Func<string, string?> _environment;

        public FileSource(string? path, Func<string, string?> environment)
            : base(path == null ? "File" : "File:" + path, "file " + (path ?? "$" + AzureTokenFileVariable))
        {
            _path = path;
            _environment = environment;
        }

        public override string Takes => _path == null ? $"the content of the file {AzureTokenFileVariable} names" : $"the content of the file {Redaction.Printable(_path)}";

        internal override Task<string> FetchAsync(AssertionFetch fetch)
        {
            var path = _path ?? _environment(AzureTokenFileVariable);
            if (string.IsNullOrEmpty(path))
            {
                throw new ClientAssertionException(fetch.Provider, Description, $"no path was given and {AzureTokenFileVariable} is not set");
            }

            // Opening or reading a FIFO, or a file on a hung network mount, can block for ever, and nothing interrupts a
            // blocked read: it runs on a thread of its own, which the token request stops waiting for at its time
            // limit or on Ctrl+C (the thread ends when the file gives way).
            return Task.Factory.StartNew(() => Read(fetch.Provider, path!), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        private string Read(string provider, string path)
        {
            try
            {
                using var reader = new StreamReader(path, Encoding.UTF8);
                return ReadLimited(provider, Description, reader);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException || ex is NotSupportedException)
            {
                var problem = ex is FileNotFoundException || ex is DirectoryNotFoundException ? "does not exist" : ex is UnauthorizedAccessException ? "cannot be read (access denied)" : "cannot be read";
                throw new ClientAssertionException(provider, Description, $"the file {Redaction.Printable(path)} {problem}", ex);
            }
        }
    }

    /// <summary>The caller's own code, run where the caller's host runs it.</summary>
    internal sealed class CallerThreadSource : ClientAssertionSource
    {
        private readonly Func<string> _produce;

        public CallerThreadSource(string description, string identity, Func<string> produce)
            : base(description, identity)
        {
            _produce = produce;
        }

        public override string Takes => "what " + Description + " returns";

        internal override Task<string> FetchAsync(AssertionFetch fetch) =>
            fetch.Host?.RunOnCallerThreadAsync(_produce, fetch.Cancellation)
            ?? throw new ClientAssertionException(fetch.Provider, Description, "it runs only within the PowerShell command that names it");
    }

    /// <summary>A call to a pipeline's OIDC endpoint: GET, or POST with an empty JSON object; its bearer token and nothing else of ours.</summary>
    internal sealed class AssertionEndpointCall : IRequestFactory
    {
        private readonly HttpMethod _method;
        private readonly string _bearer;

        public AssertionEndpointCall(HttpMethod method, Uri endpoint, string bearer)
        {
            _method = method;
            Endpoint = endpoint;
            _bearer = bearer;
        }

        public Uri Endpoint { get; }

        public bool Idempotent => true;

        public bool Replayable => true;

        public TimeSpan? HeadersTimeout => null;

        public TimeSpan? StallTimeout => null;

        public ValueTask BeforeRetryAsync() => default;

        public HttpRequestMessage Create()
        {
            var message = new HttpRequestMessage(_method, Endpoint);
            message.Headers.Accept.Add(TokenCalls.AcceptJson);
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _bearer);
            if (_method == HttpMethod.Post)
            {
                message.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            return message;
        }
    }
}
