using System.Collections.Concurrent;
using System.Net;
using System.Text;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests.SendSteps;

/// <summary>
/// An inner handler that answers from a script, one answer per request in order, and records what it was sent: the
/// wire under a single step, as Duende's and the Graph SDK's handler tests put a fake inner handler under theirs. It
/// sends nothing anywhere; a request beyond the script fails the test.
/// </summary>
public sealed class ScriptedHandler : HttpMessageHandler
{
    private readonly ConcurrentQueue<Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>> _answers = new();

    /// <summary>Method, URI and Authorization header of every request, in order.</summary>
    public ConcurrentQueue<(string Method, Uri Uri, string? Authorization, string? UserAgent)> Seen { get; } = new();

    public ScriptedHandler Then(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer)
    {
        _answers.Enqueue(answer);
        return this;
    }

    public ScriptedHandler Then(HttpStatusCode status, string body = "{}") =>
        Then((_, _) => Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") }));

    /// <summary>An answer that never comes: only the request's cancellation ends it.</summary>
    public ScriptedHandler ThenNoAnswer() => Then(async (_, cancellation) =>
    {
        await Task.Delay(Timeout.Infinite, cancellation);
        throw new InvalidOperationException("unreachable");
    });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Seen.Enqueue((request.Method.Method, request.RequestUri!, request.Headers.Authorization?.ToString(),
            request.Headers.TryGetValues("User-Agent", out var agents) ? string.Join(" ", agents) : null));
        if (!_answers.TryDequeue(out var answer))
        {
            throw new InvalidOperationException($"The script has no answer for {request.Method} {request.RequestUri}.");
        }

        var response = await answer(request, cancellationToken);
        response.RequestMessage ??= request;
        return response;
    }
}

internal static class StepAssert
{
    /// <summary>An answer a step set aside was released: its body can no longer be read.</summary>
    public static Task DisposedAsync(HttpResponseMessage response) =>
        Assert.ThrowsAsync<ObjectDisposedException>(() => response.Content.ReadAsStringAsync());
}

/// <summary>A request factory whose answers a test sets, counting what the steps asked of it.</summary>
internal sealed class FakeRequest(string uri = "https://api.stepping.test/items") : IRequestFactory
{
    /// <summary>What the step did, in order: "create" for each message made, "before retry" for each re-check.</summary>
    public List<string> Events { get; } = new();

    public Uri Endpoint { get; } = new(uri);

    public bool Idempotent { get; init; } = true;

    public bool Replayable { get; init; } = true;

    public TimeSpan? HeadersTimeout { get; init; }

    public TimeSpan? StallTimeout { get; init; }

    public string? UserAgent { get; init; }

    public ValueTask BeforeRetryAsync()
    {
        Events.Add("before retry");
        return default;
    }

    public HttpRequestMessage Create()
    {
        Events.Add("create");
        var message = new HttpRequestMessage(HttpMethod.Get, Endpoint);
        if (UserAgent != null)
        {
            message.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        }

        return message;
    }
}

/// <summary>A next step that answers from a script: a step above it is tested alone, with no wire at all.</summary>
internal sealed class ScriptedStep : ISendStep
{
    private readonly ConcurrentQueue<Func<Exchange, SentResponse>> _answers = new();
    private static readonly HttpClient NoClient = new(new ScriptedHandler());

    public List<Exchange> Exchanges { get; } = new();

    /// <summary>Each hop's message as the request made it (method, URI, Authorization, header names), when <see cref="MakesMessages"/>.</summary>
    public List<(string Method, Uri Uri, string? Authorization, string[] Headers, bool HasBody)> Hops { get; } = new();

    /// <summary>Make each hop's message, as the wire would: what a step above sends is then seen as sent.</summary>
    public bool MakesMessages { get; init; }

    /// <summary>Every answer given, to check that those a step set aside were disposed.</summary>
    public List<HttpResponseMessage> Answers { get; } = new();

    public ScriptedStep Then(HttpStatusCode status, Action<HttpResponseMessage>? shape = null) => Then(exchange =>
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent("{}") };
        shape?.Invoke(response);
        Answers.Add(response);
        return new SentResponse(exchange.Call, exchange.Display, response, new CancellationTokenSource(), new ClientLease(NoClient), TimeSpan.FromSeconds(100), true);
    });

    public ScriptedStep Then(Func<Exchange, SentResponse> answer)
    {
        _answers.Enqueue(answer);
        return this;
    }

    public ScriptedStep ThenThrow(Exception exception) => Then(_ => throw exception);

    public ValueTask<SentResponse> SendAsync(Exchange exchange)
    {
        Exchanges.Add(exchange);
        if (MakesMessages)
        {
            using var message = exchange.Request.Create();
            Hops.Add((message.Method.Method, message.RequestUri!, message.Headers.Authorization?.ToString(), message.Headers.Select(header => header.Key).ToArray(),
                message.Content != null));
        }

        if (!_answers.TryDequeue(out var answer))
        {
            throw new InvalidOperationException($"The script has no answer for {exchange.Request.Endpoint}.");
        }

        return new ValueTask<SentResponse>(answer(exchange));
    }
}

/// <summary>A next step for the API steps (<see cref="RenewOnUnauthorized"/>), answering from a script.</summary>
internal sealed class ScriptedApiStep : IApiStep
{
    private static readonly HttpClient NoClient = new(new ScriptedHandler());
    private readonly ConcurrentQueue<(Func<ApiCall, HttpStatusCode> Act, int Retries)> _answers = new();

    /// <summary>The Authorization header and URI each pass was sent with.</summary>
    public List<(string? Authorization, Uri Uri)> Passes { get; } = new();

    /// <summary>Every answer given, to check that those a step set aside were disposed.</summary>
    public List<HttpResponseMessage> Answers { get; } = new();

    public ScriptedApiStep Then(HttpStatusCode status, int retries = 0) => Then(_ => status, retries);

    /// <param name="act">What the pass does to the call before it answers (follow a redirect, say).</param>
    /// <param name="retries">The retries the pass reports, as the retry step below it would.</param>
    public ScriptedApiStep Then(Func<ApiCall, HttpStatusCode> act, int retries = 0)
    {
        _answers.Enqueue((act, retries));
        return this;
    }

    public ValueTask<SentResponse> SendAsync(ApiCall call)
    {
        using (var message = call.Wire.Create())
        {
            Passes.Add((message.Headers.Authorization?.ToString(), message.RequestUri!));
        }

        if (!_answers.TryDequeue(out var answer))
        {
            throw new InvalidOperationException("The script has no answer left.");
        }

        var response = new HttpResponseMessage(answer.Act(call)) { Content = new StringContent("{}") };
        Answers.Add(response);
        return new ValueTask<SentResponse>(new SentResponse(call, call.Wire.Endpoint, response, new CancellationTokenSource(), new ClientLease(NoClient),
            TimeSpan.FromSeconds(100), true) { Retries = answer.Retries });
    }
}

/// <summary>
/// The provider the single-step tests send to: a definition of its own, at .test origins that resolve nowhere, so
/// nothing leaves the process even by mistake. Its token endpoint is answered by a <see cref="ScriptedHandler"/>.
/// </summary>
internal static class Stepping
{
    public const string ClientSecret = "stepping-client-secret-0001";

    public static readonly ProviderDefinition Definition = ProviderDefinitionLoader.Parse("""
        { "name": "Stepping", "environments": { "Live": "https://api.stepping.test" }, "credential": { "fields": ["ClientId", "ClientSecret"] },
          "token": { "path": "/token", "fields": { "grant_type": "client_credentials", "client_id": "{ClientId}", "client_secret": "{ClientSecret}" } },
          "tokenResponse": { "accessToken": "access_token", "expiry": [ { "path": "expires_in" } ] },
          "trustedOrigins": ["https://files.stepping.test"] }
        """);

    static Stepping() => LeakEvidence.Secret(ClientSecret);

    public static TokenRequest Request() => new(ProviderTarget.Resolve(Definition), new ProviderCredential("stepping-client", ClientSecret));

    public static CallContext Call(TestClock clock, TimeSpan? budget = null, CancellationToken cancellation = default, RecordingLog? log = null) =>
        new TokenCallContext(Request(), ProviderOperation.Request, log, CallBudget.Starting(clock, budget), cancellation);

    public static TokenAuthOptions Options(int maxRetries = 3) => new()
    {
        Retry = new RetryPolicy { MaxRetries = maxRetries, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(8), MaxTotalWait = TimeSpan.FromMinutes(5) },
        Timeout = TimeSpan.FromSeconds(100),
    };

    public static Exchange Exchange(CallContext call, IRequestFactory request, TokenAuthOptions? options = null, bool bufferSuccessBody = false)
    {
        options ??= Options();
        return new Exchange(call, request, options, options.Retry, bufferSuccessBody);
    }

    /// <summary>A token answer: a new token each time, registered with the leak audit.</summary>
    public static ScriptedHandler ThenToken(this ScriptedHandler handler, string token, int expiresIn = 3600)
    {
        LeakEvidence.Secret(token);
        return handler.Then(HttpStatusCode.OK, $$"""{ "access_token": "{{token}}", "token_type": "Bearer", "expires_in": {{expiresIn}} }""");
    }

    /// <summary>
    /// An API call under way: its token got from <paramref name="tokenEndpoint"/> (which must answer one token request)
    /// and set on its first hop, as ApiClient starts one.
    /// </summary>
    public static async Task<(ApiCall Call, TokenManager Tokens)> StartedCallAsync(ScriptedHandler tokenEndpoint, TestClock clock, ApiRequest apiRequest,
        RecordingLog? log = null)
    {
        var tokens = Tokens(tokenEndpoint, clock);
        var request = Request();
        var token = (await tokens.GetAsync(request, false, log, null, default)).Token;
        var call = new ApiCall(tokens, request, ProviderOperation.Request, apiRequest, log, null, default);
        call.Start(RequestGuards.ResolveUri(request.Target, apiRequest.Uri), token);
        return (call, tokens);
    }

    /// <summary>A token manager whose token endpoint is <paramref name="tokenEndpoint"/>: the real one, as the renewal step asks it.</summary>
    public static TokenManager Tokens(ScriptedHandler tokenEndpoint, TestClock clock)
    {
        var options = Options();
        return new TokenManager(() => options, clock, new HttpSender(new HttpClient(tokenEndpoint), clock, () => options), new AbsentEndpoints());
    }
}
