using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TokenAuth.Emulator;

/// <summary>
/// Speaks the five providers' wire formats (shared/PROVIDERS.md) on 127.0.0.1, each under its own path prefix
/// (/akiba, /kitegateway, /ankorstore, /corebanking, /apimw). Counts requests per endpoint, injects faults,
/// and serves protected sample resources for request tests. Loopback only. Each provider's dialect is a file of its
/// own (ProviderEmulator.Akiba.cs, … .OAuth2.cs); the route table and what the dialects share are in
/// ProviderEmulator.Endpoints.cs; this file holds the state they share (issued tokens, counters, faults).
/// </summary>
public sealed partial class ProviderEmulator : IAsyncDisposable
{
    /// <summary>The five built-in providers, plus "oauth2": a plain RFC 6749 / RFC 7009 server for custom definitions.</summary>
    public static readonly IReadOnlyList<string> Providers = ["akiba", "kitegateway", "ankorstore", "corebanking", "apimw", "oauth2"];

    private readonly EmulatorOptions _options;
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _counters = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<EmulatorFault>> _faults = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RefreshGrant> _refreshTokens = new(StringComparer.Ordinal);
    // Distinct values only: a long run with one token must not grow it.
    private readonly ConcurrentDictionary<string, byte> _authorizationHeadersSeen = new(StringComparer.Ordinal);
    // Assertion ids (issuer and jti) already used: a replayed assertion is refused.
    private readonly ConcurrentDictionary<string, byte> _assertionIds = new(StringComparer.Ordinal);
    private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(32);
    private TaskCompletionSource _counted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProviderEmulator(EmulatorOptions options, WebApplication app)
    {
        _options = options;
        _app = app;
    }

    /// <summary>http://127.0.0.1:port/</summary>
    public Uri RootUri { get; private set; } = null!;

    /// <summary>https://127.0.0.1:port/ when <see cref="EmulatorOptions.HttpsCertificate"/> was given.</summary>
    public Uri? HttpsRootUri { get; private set; }

    public EmulatorOptions Options => _options;

    /// <summary>How long requests in flight get to finish once the emulator stops.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Completes when the emulator is asked to stop: by Ctrl+C, SIGTERM or SIGQUIT (the host's console lifetime turns
    /// each into a stop request), or by <see cref="DisposeAsync"/>.
    /// </summary>
    public Task WaitForStopRequestAsync()
    {
        var requested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _app.Lifetime.ApplicationStopping.Register(() => requested.TrySetResult());
        return requested.Task;
    }

    /// <summary>Every token, refresh token and pipeline OIDC token issued so far: what must never show up in a message or log line.</summary>
    public IReadOnlyCollection<string> IssuedSecrets => _tokens.Keys.Concat(_refreshTokens.Keys).Concat(_oidcTokens).Concat(_arcKeysWritten).Concat(_signInSecrets).Append(EmulatedManagedIdentity.IdentityHeader).ToList();

    /// <summary>Every distinct Authorization header value that reached this emulator, on any path.</summary>
    public IReadOnlyCollection<string> AuthorizationHeadersSeen => _authorizationHeadersSeen.Keys.ToList();

    public static async Task<ProviderEmulator> StartAsync(EmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmulatorOptions();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Requests still open when the emulator stops (a stalled body, a silent fault) are cut off after this, not waited for.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownGrace);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port);
            var listeners = options.MoreHttpsListeners.AsEnumerable();
            if (options.HttpsCertificate is { } certificate)
            {
                listeners = listeners.Prepend((0, certificate));
            }

            foreach (var (port, serverCertificate) in listeners)
            {
                // A client certificate is asked for but not required at TLS: the providers that demand one answer in HTTP (495, 496).
                kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serverCertificate,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                    SslProtocols = options.HttpsProtocols,
                }));
            }
        });
        var app = builder.Build();
        var emulator = new ProviderEmulator(options, app);
        emulator.MapEndpoints(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        emulator.RootUri = new Uri(addresses.First(address => address.StartsWith("http:", StringComparison.Ordinal)).TrimEnd('/') + "/");
        if (options.HttpsCertificate != null && addresses.FirstOrDefault(address => address.StartsWith("https:", StringComparison.Ordinal)) is { } https)
        {
            emulator.HttpsRootUri = new Uri(https.TrimEnd('/') + "/");
        }

        return emulator;
    }

    /// <summary>The base URI to give TokenAuth for a provider: http://127.0.0.1:port/akiba (a path prefix, kept by the client).</summary>
    public Uri BaseUriOf(string provider) => new(RootUri, provider.ToLowerInvariant());

    /// <summary>Requests an endpoint received, e.g. ("apimw", "token").</summary>
    public int RequestCount(string provider, string endpoint) => _counters.TryGetValue(Key(provider, endpoint), out var count) ? count : 0;

    public IReadOnlyDictionary<string, int> Counters => new Dictionary<string, int>(_counters);

    /// <summary>
    /// Completes once the endpoint has received <paramref name="count"/> requests: lets a test act while a request is
    /// in flight rather than after a guess at how long it takes. Gives up after 30 s, a guard against a hang.
    /// </summary>
    public async Task WaitForRequestsAsync(string provider, string endpoint, int count = 1)
    {
        while (true)
        {
            var counted = Volatile.Read(ref _counted).Task;
            if (RequestCount(provider, endpoint) >= count)
            {
                return;
            }

            await counted.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
    }

    /// <summary>Serves the fault instead of the endpoint's answer for the next fault.Times requests.</summary>
    public void InjectFault(string provider, string endpoint, EmulatorFault fault) =>
        _faults.GetOrAdd(Key(provider, endpoint), _ => new ConcurrentQueue<EmulatorFault>()).Enqueue(fault);

    /// <summary>Revokes every token issued for a provider, as if an administrator had.</summary>
    public void RevokeAllTokens(string provider)
    {
        foreach (var token in _tokens.Values.Where(token => token.Provider.Equals(provider, StringComparison.OrdinalIgnoreCase)))
        {
            token.Revoked = true;
        }
    }

    public bool IsRevoked(string token) =>
        _tokens.TryGetValue(StripScheme(token), out var issued) ? issued.Revoked : _refreshTokens.TryGetValue(token, out var refresh) && refresh.Revoked;

    /// <summary>Clears counters and pending faults; issued tokens stay valid.</summary>
    public void ResetCounters()
    {
        _counters.Clear();
        _faults.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static string Key(string provider, string endpoint) => provider.ToLowerInvariant() + "/" + endpoint.ToLowerInvariant();

    private DateTimeOffset Now => _options.Clock.GetUtcNow();

    private sealed class IssuedToken(string provider, string identity, DateTimeOffset expiresAt, string? scope)
    {
        public string Provider { get; } = provider;

        public string Identity { get; } = identity;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public string? Scope { get; } = scope;

        public volatile bool Revoked;
    }

    private sealed class RefreshGrant(string provider, string identity)
    {
        public string Provider { get; } = provider;

        public string Identity { get; } = identity;

        /// <summary>1 once redeemed or revoked: either way it is good for nothing more.</summary>
        public int Used;

        public volatile bool Revoked;
    }

    private string Count(string provider, string endpoint)
    {
        var key = Key(provider, endpoint);
        _counters.AddOrUpdate(key, 1, (_, count) => count + 1);
        Interlocked.Exchange(ref _counted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return key;
    }

    /// <summary>Counts the request, serves a pending fault if there is one, else the handler's answer.</summary>
    private RequestDelegate Endpoint(string provider, string endpoint, Func<HttpContext, Task> handler) => async context =>
    {
        var key = Count(provider, endpoint);
        if (TakeFault(key) is { } fault)
        {
            if (fault.DelayMilliseconds > 0)
            {
                await Task.Delay(fault.DelayMilliseconds, context.RequestAborted).ConfigureAwait(false);
            }

            if (!fault.DelayOnly)
            {
                if (fault.RetryAfter != null)
                {
                    context.Response.Headers.RetryAfter = fault.RetryAfter;
                }

                if (fault.Delivery != FaultDelivery.Whole)
                {
                    await Misbehave(context, fault).ConfigureAwait(false);
                }
                else if (fault.Body != null)
                {
                    context.Response.StatusCode = fault.StatusCode;
                    context.Response.ContentType = fault.ContentType;
                    await context.Response.WriteAsync(await EchoedAsync(context, fault.Body).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
                }
                else
                {
                    await WriteError(context, provider, endpoint == "token" || endpoint == "refresh", fault.StatusCode, "INJECTED_FAULT", $"Injected fault {fault.StatusCode}").ConfigureAwait(false);
                }

                return;
            }
        }

        if (await ChaosAsync(context).ConfigureAwait(false))
        {
            return;
        }

        await handler(context).ConfigureAwait(false);
    };

    /// <summary>A fault's body with each {form:NAME} replaced by that field of the request's form, JSON-escaped: a server that echoes what it was sent.</summary>
    private static async Task<string> EchoedAsync(HttpContext context, string body)
    {
        if (!body.Contains("{form:", StringComparison.Ordinal) || !context.Request.HasFormContentType)
        {
            return body;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        return System.Text.RegularExpressions.Regex.Replace(body, @"\{form:(\w+)\}",
            match => System.Text.Json.JsonEncodedText.Encode(form[match.Groups[1].Value].ToString()).ToString());
    }

    /// <summary>Answers as a misbehaving provider would: dripping, silent after the headers, or far too large.</summary>
    private static async Task Misbehave(HttpContext context, EmulatorFault fault)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        response.StatusCode = fault.StatusCode;
        response.ContentType = fault.ContentType;
        switch (fault.Delivery)
        {
            case FaultDelivery.Drip:
                await response.StartAsync(aborted).ConfigureAwait(false);
                foreach (var b in Encoding.UTF8.GetBytes(fault.Body ?? """{"access_token":"dripped-token","expires_in":3600}"""))
                {
                    await response.Body.WriteAsync(new[] { b }, aborted).ConfigureAwait(false);
                    await response.Body.FlushAsync(aborted).ConfigureAwait(false);
                    await Task.Delay(1000, aborted).ConfigureAwait(false);
                }

                break;
            case FaultDelivery.Silence:
                await response.StartAsync(aborted).ConfigureAwait(false);
                await response.Body.FlushAsync(aborted).ConfigureAwait(false);
                await Task.Delay(Timeout.Infinite, aborted).ConfigureAwait(false);
                break;
            default:
                // {"padding":"xxx…"}: valid JSON of exactly Size bytes.
                if (fault.Delivery == FaultDelivery.Oversized)
                {
                    response.ContentLength = fault.Size;
                }

                var chunk = Encoding.ASCII.GetBytes(new string('x', 65536));
                await response.Body.WriteAsync(Encoding.ASCII.GetBytes("{\"padding\":\""), aborted).ConfigureAwait(false);
                for (var left = fault.Size - 15; left > 0; left -= chunk.Length)
                {
                    await response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(left, chunk.Length)), aborted).ConfigureAwait(false);
                }

                await response.Body.WriteAsync(Encoding.ASCII.GetBytes("\"}"), aborted).ConfigureAwait(false);
                break;
        }
    }

    private EmulatorFault? TakeFault(string key)
    {
        if (!_faults.TryGetValue(key, out var queue))
        {
            return null;
        }

        lock (queue)
        {
            if (!queue.TryPeek(out var fault))
            {
                return null;
            }

            if (--fault.Times <= 0)
            {
                queue.TryDequeue(out _);
            }

            return fault;
        }
    }

    private static string StripScheme(string token)
    {
        var space = token.IndexOf(' ');
        return space >= 0 ? token[(space + 1)..] : token;
    }

    private string NewOpaqueToken(string prefix) => prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));

    /// <summary>An HS256 JWT with the emulator's key: clients read its claims, only the emulator checks it.</summary>
    private string NewJwt(string provider, string subject, DateTimeOffset expiresAt, string? scope)
    {
        var claims = new JsonObject
        {
            ["iss"] = $"tokenauth-emulator/{provider}",
            // A stable id derived from the identity: the JWT must not carry the API key itself.
            ["sub"] = "sub_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(subject)))[..12].ToLowerInvariant(),
            ["iat"] = Now.ToUnixTimeSeconds(),
            ["exp"] = expiresAt.ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        if (scope != null)
        {
            claims["scope"] = scope;
        }

        return Jwt.Write("""{"alg":"HS256","typ":"JWT"}""", claims, input => HMACSHA256.HashData(_signingKey, input));
    }

    private string Issue(string provider, string identity, TimeSpan lifetime, string? scope, bool jwt, out DateTimeOffset expiresAt)
    {
        expiresAt = Now + lifetime;
        var token = jwt ? NewJwt(provider, identity, expiresAt, scope) : NewOpaqueToken("tk_");
        _tokens[token] = new IssuedToken(provider, identity, expiresAt, scope);
        return token;
    }

    private string IssueRefreshToken(string provider, string identity)
    {
        var refresh = NewOpaqueToken("rt_");
        _refreshTokens[refresh] = new RefreshGrant(provider, identity);
        return refresh;
    }

    /// <summary>Revokes one of the provider's refresh tokens (counted as "provider/refresh-revoked"); false when the value is none of them.</summary>
    private bool RevokeRefreshToken(string provider, string value)
    {
        if (!_refreshTokens.TryGetValue(value, out var grant) || grant.Provider != provider)
        {
            return false;
        }

        grant.Revoked = true;
        Interlocked.Exchange(ref grant.Used, 1);
        Count(provider, "refresh-revoked");
        return true;
    }

    private TimeSpan LifetimeOf(string provider) => _options.TokenLifetimes.TryGetValue(provider, out var lifetime) ? lifetime : TimeSpan.FromHours(1);

    private EmulatorCredential CredentialOf(string provider) => _options.Credentials[provider];
}
