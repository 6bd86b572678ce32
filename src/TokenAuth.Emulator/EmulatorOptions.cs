using System.Security.Cryptography.X509Certificates;

namespace TokenAuth.Emulator;

/// <summary>One provider's demo credential. Unused fields stay null.</summary>
public sealed record EmulatorCredential(string? ClientId = null, string? ClientSecret = null, string? ClientCredential = null, string? ApiKey = null, string? ApiSecret = null);

public sealed partial class EmulatorOptions
{
    /// <summary>0 lets the system choose a free port.</summary>
    public int Port { get; set; }

    /// <summary>The emulator's notion of now, for issuing and expiring tokens.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Lifetime of issued tokens per provider (Kitegateway's requested expires_in wins).</summary>
    public Dictionary<string, TimeSpan> TokenLifetimes { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["akiba"] = TimeSpan.FromHours(1),
        ["kitegateway"] = TimeSpan.FromSeconds(900),
        ["ankorstore"] = TimeSpan.FromHours(1),
        ["corebanking"] = TimeSpan.FromHours(1),
        ["apimw"] = TimeSpan.FromHours(1),
        ["oauth2"] = TimeSpan.FromHours(1),
    };

    /// <summary>The credential each provider accepts. Defaults to the documented demo credentials.</summary>
    public Dictionary<string, EmulatorCredential> Credentials { get; } = DemoCredentials.All.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>When set, the emulator also listens over TLS with this certificate (<see cref="ProviderEmulator.HttpsRootUri"/>).</summary>
    public X509Certificate2? HttpsCertificate { get; set; }

    /// <summary>The TLS versions the TLS listeners speak; None: the system's choice.</summary>
    public System.Security.Authentication.SslProtocols HttpsProtocols { get; set; }

    /// <summary>Further TLS listeners, a certificate each (one the client must refuse, say); port 0 lets the system choose.</summary>
    public List<(int Port, X509Certificate2 Certificate)> MoreHttpsListeners { get; } = new();

    /// <summary>
    /// Providers that demand a client certificate, and the thumbprints each accepts: without one the emulator answers
    /// 496, with another 495, as nginx does (ssl_verify_client). Only a TLS connection can carry one.
    /// </summary>
    public Dictionary<string, HashSet<string>> ClientCertificates { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Clients of the standard OAuth2 server that authenticate with a signed assertion (RFC 7523) instead of a secret,
    /// and the certificates whose keys may sign for each.
    /// </summary>
    public Dictionary<string, List<X509Certificate2>> AssertionCertificates { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Federated credentials of the standard OAuth2 server: the subjects of the emulated pipelines' OIDC tokens
    /// (<see cref="EmulatedPipelines"/>) each client accepts.
    /// </summary>
    public Dictionary<string, HashSet<string>> FederatedCredentials { get; } = new(StringComparer.Ordinal);

    /// <summary>The bearer token the emulated GitHub Actions OIDC endpoint takes (ACTIONS_ID_TOKEN_REQUEST_TOKEN).</summary>
    public string GitHubActionsRequestToken { get; set; } = "emulator-actions-id-token-request-token";

    /// <summary>The bearer token the emulated Azure Pipelines oidctoken endpoint takes (SYSTEM_ACCESSTOKEN).</summary>
    public string AzureDevOpsAccessToken { get; set; } = "emulator-azure-pipelines-system-access-token";

    /// <summary>
    /// Each provider as its document shows it and no more: the endpoints that are our reading of a document (APIMW's
    /// refresh, revoke and who-am-I; Akiba's token path) answer 404 as a real service without them would.
    /// </summary>
    public bool AsDocumented { get; set; }

    /// <summary>When set, protected resources answer with faults at fixed rates drawn from this seed (ProviderEmulator.Chaos.cs).</summary>
    public int? ChaosSeed { get; set; }

    /// <summary>The tokenType CoreBanking issues, and then requires as the Authorization scheme.</summary>
    public string CoreBankingTokenType { get; set; } = "Bearer";
}

/// <summary>The subjects of the OIDC tokens the emulated pipelines issue, which federated credentials name.</summary>
public static class EmulatedPipelines
{
    /// <summary>The emulated GitHub Actions job's: a workflow on main.</summary>
    public const string GitHubActionsSubject = "repo:tokenauth/emulator:ref:refs/heads/main";

    /// <summary>The emulated Azure Pipelines job's: a service connection's, or without one the pipeline's own.</summary>
    public static string AzureDevOpsSubject(string? serviceConnectionId) =>
        serviceConnectionId == null ? "p://tokenauth/emulator/pipeline" : "sc://tokenauth/emulator/" + serviceConnectionId.ToLowerInvariant();
}

/// <summary>A clock a test in another process sets (POST _emulator/clock), so that its tokens expire on the test's time.</summary>
public sealed class SettableClock : TimeProvider
{
    private long _utcTicks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void SetUtcNow(DateTimeOffset utcNow) => Interlocked.Exchange(ref _utcTicks, utcNow.UtcTicks);
}

/// <summary>The demo credentials the emulator accepts by default; README and the Demo task use them.</summary>
public static class DemoCredentials
{
    public static IReadOnlyDictionary<string, EmulatorCredential> All { get; } = new Dictionary<string, EmulatorCredential>(StringComparer.OrdinalIgnoreCase)
    {
        ["akiba"] = new(ClientId: "demo-akiba-client", ClientSecret: "demo-akiba-secret-9f3k", ClientCredential: "demo-akiba-credential-7h2m"),
        ["kitegateway"] = new(ApiKey: "demo-kite-key-2882jj2hh", ApiSecret: "demo-kite-secret-5t8w"),
        ["ankorstore"] = new(ClientId: "demo-ankorstore-client", ClientSecret: "demo-ankorstore-secret-3q9z"),
        ["corebanking"] = new(ClientId: "demo-corebanking-client", ClientSecret: "demo-corebanking-secret-8v1x"),
        ["apimw"] = new(ApiKey: "ak_demo_apimw_abc123", ApiSecret: "sk_demo_apimw_secret456"),
        ["oauth2"] = new(ClientId: "demo-oauth2-client", ClientSecret: "demo-oauth2-secret-4k7p"),
    };
}

/// <summary>A fault served instead of the real answer, for the next <see cref="Times"/> requests to one endpoint.</summary>
public sealed class EmulatorFault
{
    public int StatusCode { get; set; } = 503;

    /// <summary>Sent as the Retry-After header as it is: delta-seconds or an HTTP-date.</summary>
    public string? RetryAfter { get; set; }

    /// <summary>Waited before answering (the fault's status, or the real answer when <see cref="DelayOnly"/>).</summary>
    public int DelayMilliseconds { get; set; }

    /// <summary>Only delay, then answer normally.</summary>
    public bool DelayOnly { get; set; }

    /// <summary>The body to send, each {form:NAME} in it replaced by that field of the request's form; null sends the provider's own error shape for the status.</summary>
    public string? Body { get; set; }

    public string ContentType { get; set; } = "application/json";

    public int Times { get; set; } = 1;

    /// <summary>How the answer goes out; anything but <see cref="FaultDelivery.Whole"/> answers with <see cref="StatusCode"/>.</summary>
    public FaultDelivery Delivery { get; set; }

    /// <summary>The body's size in bytes for <see cref="FaultDelivery.Oversized"/> and <see cref="FaultDelivery.OversizedChunked"/>.</summary>
    public long Size { get; set; } = 64L << 20;
}

/// <summary>Ways a misbehaving provider sends its answer.</summary>
public enum FaultDelivery
{
    /// <summary>The body (or the provider's error shape) at once.</summary>
    Whole,

    /// <summary>Headers at once, then the body a byte a second.</summary>
    Drip,

    /// <summary>Headers at once, then nothing until the client gives up.</summary>
    Silence,

    /// <summary>A JSON body of <see cref="EmulatorFault.Size"/> bytes, announced by Content-Length.</summary>
    Oversized,

    /// <summary>The same, chunked: no Content-Length to warn the client.</summary>
    OversizedChunked,
}
