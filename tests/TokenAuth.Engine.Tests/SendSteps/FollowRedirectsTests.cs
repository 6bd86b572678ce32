using System.Net;
using TokenAuth.Errors;
using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests.SendSteps;

/// <summary>
/// The redirect step alone, over a scripted next step that makes each hop's message as the wire would: where the
/// token goes (the origin rule), what a redirect does to the method and body, and where following stops.
/// </summary>
public sealed class FollowRedirectsTests
{
    private readonly TestClock _clock = new(fakeTimers: true);
    private readonly RecordingLog _log = new();

    private static FollowRedirects Step(ScriptedStep next, int maxRedirects = 5)
    {
        var options = Stepping.Options() with { MaxRedirects = maxRedirects };
        return new FollowRedirects(() => options, next);
    }

    /// <summary>A Location header: a path is relative (said so, since Mono reads "/a" as an absolute file URI).</summary>
    private static Action<HttpResponseMessage> To(string location) =>
        response => response.Headers.Location = new Uri(location, location.StartsWith("/", StringComparison.Ordinal) ? UriKind.Relative : UriKind.Absolute);

    private Task<(ApiCall Call, Tokens.TokenManager Tokens)> StartAsync(ApiRequest apiRequest) =>
        Stepping.StartedCallAsync(new ScriptedHandler().ThenToken("stepping-token-redirects-1"), _clock, apiRequest, _log);

    [Fact]
    public async Task Within_the_provider_s_origin_the_token_follows_the_redirect()
    {
        var (call, _) = await StartAsync(new ApiRequest("GET", "items"));
        var next = new ScriptedStep { MakesMessages = true }.Then(HttpStatusCode.Found, To("/moved/items")).Then(HttpStatusCode.OK);

        using var sent = await Step(next).SendAsync(call);

        Assert.Equal(HttpStatusCode.OK, sent.Response.StatusCode);
        Assert.Equal(new Uri("https://api.stepping.test/moved/items"), next.Hops[1].Uri);
        Assert.Equal(["Bearer stepping-token-redirects-1", "Bearer stepping-token-redirects-1"], next.Hops.Select(hop => hop.Authorization));
        await StepAssert.DisposedAsync(next.Answers[0]);
    }

    [Fact]
    public async Task Off_the_provider_s_origin_the_token_and_sensitive_headers_stay_behind_for_good()
    {
        var apiRequest = new ApiRequest("GET", "items");
        apiRequest.Headers["X-Api-Key"] = "stepping-caller-key-0001";
        apiRequest.Headers["X-Trace"] = "t-1";
        LeakEvidence.Secret("stepping-caller-key-0001");
        var (call, _) = await StartAsync(apiRequest);
        var next = new ScriptedStep { MakesMessages = true }
            .Then(HttpStatusCode.Found, To("https://cdn.elsewhere.test/blob"))
            .Then(HttpStatusCode.Found, To("https://api.stepping.test/back"))
            .Then(HttpStatusCode.OK);

        using var sent = await Step(next).SendAsync(call);

        Assert.Equal("Bearer stepping-token-redirects-1", next.Hops[0].Authorization);
        Assert.Contains("X-Api-Key", next.Hops[0].Headers);
        // Off the origin, and back on it: the token and the key were left behind at the first step away.
        Assert.All(next.Hops.Skip(1), hop => Assert.Null(hop.Authorization));
        Assert.All(next.Hops.Skip(1), hop => Assert.DoesNotContain("X-Api-Key", hop.Headers));
        Assert.All(next.Hops.Skip(1), hop => Assert.Contains("X-Trace", hop.Headers));
        Assert.Equal("https://cdn.elsewhere.test", call.Wire.TokenWithheldAt);
        Assert.True(_log.Contains("following it without the Authorization header"));
    }

    [Fact]
    public async Task An_origin_the_definition_trusts_is_the_provider_s_own_and_the_token_goes_there()
    {
        var (call, _) = await StartAsync(new ApiRequest("GET", "items"));
        var next = new ScriptedStep { MakesMessages = true }.Then(HttpStatusCode.TemporaryRedirect, To("https://files.stepping.test/f/1")).Then(HttpStatusCode.OK);

        using var sent = await Step(next).SendAsync(call);

        Assert.Equal("Bearer stepping-token-redirects-1", next.Hops[1].Authorization);
        Assert.Null(call.Wire.TokenWithheldAt);
    }

    [Fact]
    public async Task A_redirect_to_plain_http_off_loopback_is_refused_and_nothing_more_is_sent()
    {
        var (call, _) = await StartAsync(new ApiRequest("GET", "items"));
        var next = new ScriptedStep { MakesMessages = true }.Then(HttpStatusCode.Found, To("http://api.stepping.test/items"));

        var error = await Expect.Throws<UnsafeRequestException>(() => Step(next).SendAsync(call).AsTask());

        Assert.Contains("not https", error.Message);
        Assert.Single(next.Hops);
    }

    [Theory]
    [InlineData(HttpStatusCode.SeeOther, "GET", false)]
    [InlineData(HttpStatusCode.Found, "GET", false)]
    [InlineData(HttpStatusCode.TemporaryRedirect, "POST", true)]
    [InlineData((HttpStatusCode)308, "POST", true)]
    public async Task A_redirect_keeps_the_method_and_body_only_where_its_status_says_so(HttpStatusCode status, string method, bool hasBody)
    {
        var (call, _) = await StartAsync(new ApiRequest("POST", "items") { Body = RequestBody.Json(new { name = "a" }) });
        var next = new ScriptedStep { MakesMessages = true }.Then(status, To("/created/1")).Then(HttpStatusCode.OK);

        using var sent = await Step(next).SendAsync(call);

        Assert.Equal(("POST", true), (next.Hops[0].Method, next.Hops[0].HasBody));
        Assert.Equal((method, hasBody), (next.Hops[1].Method, next.Hops[1].HasBody));
    }

    [Fact]
    public async Task A_redirect_past_the_limit_is_an_error_unless_the_caller_asked_for_the_redirect_itself()
    {
        var (call, _) = await StartAsync(new ApiRequest("GET", "items"));
        var next = new ScriptedStep().Then(HttpStatusCode.Found, To("/a")).Then(HttpStatusCode.Found, To("/b"));

        var error = await Expect.Throws<InvalidRequestException>(() => Step(next, maxRedirects: 1).SendAsync(call).AsTask());
        Assert.Contains("-MaximumRedirection", error.Message);
        await StepAssert.DisposedAsync(next.Answers[1]);

        var (skipping, _) = await StartAsync(new ApiRequest("GET", "items") { SkipHttpErrorCheck = true });
        var again = new ScriptedStep().Then(HttpStatusCode.Found, To("/a")).Then(HttpStatusCode.Found, To("/b"));
        using var sent = await Step(again, maxRedirects: 1).SendAsync(skipping);
        Assert.Equal(HttpStatusCode.Found, sent.Response.StatusCode);
        Assert.Equal(new Uri("/b", UriKind.Relative), sent.Response.Headers.Location);
    }

    [Fact]
    public async Task A_redirect_that_would_send_a_one_time_body_again_is_returned_unfollowed()
    {
        using var stream = new MemoryStream([1, 2, 3]);
        var (call, _) = await StartAsync(new ApiRequest("PUT", "items") { Body = RequestBody.Stream(stream) });
        var next = new ScriptedStep().Then(HttpStatusCode.TemporaryRedirect, To("/elsewhere"));

        using var sent = await Step(next).SendAsync(call);

        Assert.Equal(HttpStatusCode.TemporaryRedirect, sent.Response.StatusCode);
        Assert.Single(next.Exchanges);
        Assert.True(_log.Contains("the body cannot be sent again"));
    }

    [Fact]
    public async Task Each_hop_goes_down_with_the_call_s_own_retries_and_the_session_s_otherwise()
    {
        var (call, _) = await StartAsync(new ApiRequest("GET", "items") { MaxRetries = 7, RetryInterval = TimeSpan.FromSeconds(2) });
        var next = new ScriptedStep().Then(HttpStatusCode.OK);

        using var sent = await Step(next).SendAsync(call);

        Assert.Equal((7, TimeSpan.FromSeconds(2)), (next.Exchanges[0].Retry.MaxRetries, next.Exchanges[0].Retry.Interval));
        Assert.Same(call.Wire, next.Exchanges[0].Request);
        Assert.Same(call, next.Exchanges[0].Call);
    }
}
