using System.Net.Http.Headers;
using System.Net.Security;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Microsoft.Identity.Client;
using TokenAuth.Http;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;

namespace TokenAuth.Benchmarks;

/// <summary>Getting a token that is already cached, against what scripts and MSAL do.</summary>
[MemoryDiagnoser]
public class WarmTokenLookup
{
    private BenchmarkEnvironment _environment = null!;
    private TokenAuthEngine _engine = null!;
    private IConfidentialClientApplication _msal = null!;
    private readonly HttpClient _plain = new();
    private readonly string[] _scopes = [BenchmarkEnvironment.Scope];

    [GlobalSetup]
    public async Task Setup()
    {
        _environment = await BenchmarkEnvironment.StartAsync();
        _engine = new TokenAuthEngine();
        await _engine.GetTokenAsync(_environment.Request);
        _msal = _environment.CreateMsalClient();
        await _msal.AcquireTokenForClient(_scopes).ExecuteAsync();
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _environment.DisposeAsync();

    [Benchmark(Baseline = true, Description = "HttpClient: new token every call")]
    public async Task<string> FetchEveryCall()
    {
        using var response = await _plain.PostAsync(_environment.TokenEndpoint, BenchmarkEnvironment.TokenForm());
        await using var body = await response.Content.ReadAsStreamAsync();
        using var json = await JsonDocument.ParseAsync(body);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    [Benchmark(Description = "TokenAuth: warm cache")]
    public Tokens.AccessToken TokenAuthWarm()
    {
        var lookup = _engine.GetTokenAsync(_environment.Request);
        return lookup.IsCompletedSuccessfully ? lookup.Result.Token : lookup.AsTask().GetAwaiter().GetResult().Token;
    }

    [Benchmark(Description = "MSAL: warm AcquireTokenForClient")]
    public async Task<string> MsalWarm() => (await _msal.AcquireTokenForClient(_scopes).ExecuteAsync()).AccessToken;
}

/// <summary>
/// An authenticated GET through the engine's pipeline, against a raw shared HttpClient with a fixed header, in a job of
/// its own (<see cref="SteadyRun"/>): client and server share two cores, and default iterations swing by 10-20%.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SteadyRun))]
public class AuthenticatedRequest
{
    private BenchmarkEnvironment _environment = null!;
    private TokenAuthEngine _engine = null!;
    private HttpClient _raw = null!;
    private ApiRequest _apiRequest = null!;

    private TokenRequest _request = null!;
    private Uri _sampleResource = null!;

    [Params(1, 64)]
    public int Concurrency { get; set; }

    /// <summary>
    /// Over TLS (the emulator's HTTPS listener, its self-signed certificate trusted by both clients alone): what TLS
    /// costs each, side by side. Set by Throughput's --tls, not a BenchmarkDotNet parameter.
    /// </summary>
    public bool OverTls { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _environment = await BenchmarkEnvironment.StartAsync();
        _engine = new TokenAuthEngine();
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
        _request = _environment.Request;
        _sampleResource = _environment.SampleResource;
        if (OverTls)
        {
            var certificate = _environment.Certificate;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                errors == SslPolicyErrors.None || presented?.GetCertHashString() == certificate.Thumbprint;
            _request = new TokenRequest(ProviderTarget.Resolve(_environment.Target.Definition, baseUri: _environment.Emulator.HttpsRootUri!.ToString()),
                _environment.Credential, BenchmarkEnvironment.Scope,
                connection: new ConnectionSettings { TrustedCertificates = new TrustedCertificates("the benchmark's certificate", [certificate]) });
            _sampleResource = new Uri(_environment.Emulator.HttpsRootUri!, "oauth2/resources/sample");
        }

        var token = (await _engine.GetTokenAsync(_request)).Token;
        _raw = new HttpClient(handler);
        _raw.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(token.AuthorizationHeaderValue);
        _raw.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _apiRequest = new ApiRequest("GET", "oauth2/resources/sample");
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _environment.DisposeAsync();

    [Benchmark(Baseline = true, Description = "raw HttpClient, fixed header")]
    public Task Raw() => Fan(async () =>
    {
        using var response = await _raw.GetAsync(_sampleResource);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        using var json = await JsonDocument.ParseAsync(body);
    });

    [Benchmark(Description = "TokenAuth pipeline")]
    public Task TokenAuth() => Fan(() => _engine.SendAsync(_request, _apiRequest));

    private Task Fan(Func<Task> request)
    {
        if (Concurrency == 1)
        {
            return request();
        }

        var requests = new Task[Concurrency];
        for (var i = 0; i < requests.Length; i++)
        {
            requests[i] = request();
        }

        return Task.WhenAll(requests);
    }
}

/// <summary>1000 callers at once with an empty cache, against one token request plus one API request.</summary>
[MemoryDiagnoser]
public class ColdStampede
{
    private BenchmarkEnvironment _environment = null!;
    private TokenAuthEngine _engine = null!;
    private readonly ApiRequest _apiRequest = new("GET", "oauth2/resources/sample");

    [GlobalSetup]
    public async Task Setup() => _environment = await BenchmarkEnvironment.StartAsync();

    [IterationSetup]
    public void EmptyCache() => _engine = new TokenAuthEngine();

    [GlobalCleanup]
    public async Task Cleanup() => await _environment.DisposeAsync();

    [Benchmark(Baseline = true, Description = "1 token request + 1 API request")]
    public Task SingleRequestPair() => _engine.SendAsync(_environment.Request, _apiRequest);

    [Benchmark(Description = "1000 concurrent cold callers")]
    public Task Stampede() => ColdStampedeRun(_engine, _environment);

    internal static Task ColdStampedeRun(TokenAuthEngine engine, BenchmarkEnvironment environment)
    {
        var callers = new Task[1000];
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = engine.GetTokenAsync(environment.Request).AsTask();
        }

        return Task.WhenAll(callers);
    }
}

/// <summary>
/// The pipeline's own cost, without a network: the engine and a raw HttpClient both send to a handler that answers at
/// once with the emulator's own sample body. The difference is what the pipeline adds per request, free of the
/// loopback and server noise that dominates <see cref="AuthenticatedRequest"/>.
/// </summary>
[MemoryDiagnoser]
public class PipelineOverhead
{
    private BenchmarkEnvironment _environment = null!;
    private TokenAuthEngine _engine = null!;
    private HttpClient _raw = null!;
    private readonly ApiRequest _apiRequest = new("GET", "oauth2/resources/sample");
    private readonly ApiRequest _textRequest = new("GET", "oauth2/resources/sample") { ResponseMode = ResponseMode.Text };

    [GlobalSetup]
    public async Task Setup()
    {
        _environment = await BenchmarkEnvironment.StartAsync();
        var handler = await CannedAnswers.RecordAsync(_environment);
        _engine = new TokenAuthEngine(null, null, handler);
        var token = (await _engine.GetTokenAsync(_environment.Request)).Token;
        _raw = new HttpClient(handler);
        _raw.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(token.AuthorizationHeaderValue);
        _raw.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _environment.DisposeAsync();

    [Benchmark(Baseline = true, Description = "raw HttpClient, canned answer")]
    public async Task Raw()
    {
        using var response = await _raw.GetAsync(_environment.SampleResource);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        using var json = await JsonDocument.ParseAsync(body);
    }

    [Benchmark(Description = "TokenAuth pipeline, canned answer")]
    public Task TokenAuth() => _engine.SendAsync(_environment.Request, _apiRequest);

    /// <summary>The same without turning the JSON into objects: what that step costs.</summary>
    [Benchmark(Description = "TokenAuth pipeline, body as text")]
    public Task TokenAuthText() => _engine.SendAsync(_environment.Request, _textRequest);

    /// <summary>What the per-attempt timer costs on its own: a source, its timer armed, and both disposed.</summary>
    [Benchmark(Description = "per-attempt timer alone")]
    public void AttemptTimer()
    {
        using var attempt = new CancellationTokenSource();
        attempt.CancelAfter(TimeSpan.FromSeconds(100));
    }
}

/// <summary>
/// Long iterations for the request benchmarks: 2 s each, 30 of them after 5 warm-ups, so that a short burst of other
/// work on the machine moves one iteration a little rather than a few of them a lot. (Even so, iterations still swing
/// by 6-10% on the shared machine: the swings last seconds. Tried and dropped: disabling the thread pool's hill
/// climbing, which made no difference.)
/// </summary>
public sealed class SteadyRun : ManualConfig
{
    /// <summary>Set for --quick: the run's short job then applies to these cases instead of this long one, not beside it.</summary>
    public static bool GiveWayToQuick { get; set; }

    public SteadyRun()
    {
        if (GiveWayToQuick)
        {
            WithUnionRule(ConfigUnionRule.AlwaysUseGlobal);
            return;
        }

        AddJob(Job.Default.WithId("Steady").WithIterationTime(Perfolizer.Horology.TimeInterval.FromSeconds(2)).WithWarmupCount(5).WithIterationCount(30));
    }
}
