using System.Net;
using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests.SendSteps;

/// <summary>
/// The renewal step alone, over a scripted next step, with the real token manager asking a scripted token endpoint:
/// a 401 renews the token once and sends the request again from its first hop; and the token re-check a retry makes
/// after its wait (<see cref="WireRequest.BeforeRetryAsync"/>), on the fake clock.
/// </summary>
public sealed class RenewOnUnauthorizedTests
{
    private readonly TestClock _clock = new(fakeTimers: true);
    private readonly RecordingLog _log = new();
    private readonly ScriptedHandler _tokenEndpoint = new ScriptedHandler().ThenToken("stepping-token-renew-1");

    private Task<(ApiCall Call, Tokens.TokenManager Tokens)> StartAsync(ApiRequest? apiRequest = null) =>
        Stepping.StartedCallAsync(_tokenEndpoint, _clock, apiRequest ?? new ApiRequest("GET", "items"), _log);

    [Fact]
    public async Task A_401_forgets_the_token_gets_a_new_one_and_sends_once_more_from_the_first_hop()
    {
        var (call, tokens) = await StartAsync();
        _tokenEndpoint.ThenToken("stepping-token-renew-2");
        var next = new ScriptedApiStep()
            .Then(moved =>
            {
                // The first pass followed a redirect on the provider's origin before it met the 401.
                moved.Redirect(new Uri("https://api.stepping.test/moved"), keepsMethod: true, staysWithProvider: true, null);
                return HttpStatusCode.Unauthorized;
            }, retries: 2)
            .Then(HttpStatusCode.OK, retries: 1);

        using var sent = await new RenewOnUnauthorized(tokens, next).SendAsync(call);

        Assert.Equal(HttpStatusCode.OK, sent.Response.StatusCode);
        Assert.Equal([("Bearer stepping-token-renew-1", new Uri("https://api.stepping.test/items")), ("Bearer stepping-token-renew-2", new Uri("https://api.stepping.test/items"))],
            next.Passes);
        Assert.Equal(2, _tokenEndpoint.Seen.Count);
        // Two retries of the refused pass, the pass after the renewal, and one retry of it.
        Assert.Equal(4, sent.Retries);
        Assert.Equal("stepping-token-renew-2", call.Token!.Value);
        await StepAssert.DisposedAsync(next.Answers[0]);
    }

    [Fact]
    public async Task A_second_401_is_the_answer_the_token_is_renewed_at_most_once()
    {
        var (call, tokens) = await StartAsync();
        _tokenEndpoint.ThenToken("stepping-token-renew-3");
        var next = new ScriptedApiStep().Then(HttpStatusCode.Unauthorized).Then(HttpStatusCode.Unauthorized);

        using var sent = await new RenewOnUnauthorized(tokens, next).SendAsync(call);

        Assert.Equal(HttpStatusCode.Unauthorized, sent.Response.StatusCode);
        Assert.Equal(2, next.Passes.Count);
        Assert.Equal(2, _tokenEndpoint.Seen.Count);
    }

    [Fact]
    public async Task A_body_that_can_be_sent_only_once_is_not_sent_again_and_the_token_is_kept()
    {
        using var stream = new MemoryStream([1, 2, 3]);
        var (call, tokens) = await StartAsync(new ApiRequest("PUT", "items") { Body = RequestBody.Stream(stream) });
        var next = new ScriptedApiStep().Then(HttpStatusCode.Unauthorized);

        using var sent = await new RenewOnUnauthorized(tokens, next).SendAsync(call);

        Assert.Equal(HttpStatusCode.Unauthorized, sent.Response.StatusCode);
        Assert.Single(_tokenEndpoint.Seen);
        Assert.True(_log.Contains("the request body cannot be sent again"));
    }

    [Fact]
    public async Task A_401_from_where_a_redirect_left_the_token_behind_says_nothing_of_the_token()
    {
        var (call, tokens) = await StartAsync();
        var next = new ScriptedApiStep().Then(away =>
        {
            away.Redirect(new Uri("https://cdn.elsewhere.test/blob"), keepsMethod: true, staysWithProvider: false, null);
            return HttpStatusCode.Unauthorized;
        });

        using var sent = await new RenewOnUnauthorized(tokens, next).SendAsync(call);

        Assert.Equal(HttpStatusCode.Unauthorized, sent.Response.StatusCode);
        Assert.Single(next.Passes);
        Assert.Single(_tokenEndpoint.Seen);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    public async Task Any_other_answer_passes_through_untouched(HttpStatusCode status)
    {
        var (call, tokens) = await StartAsync();
        var next = new ScriptedApiStep().Then(status);

        using var sent = await new RenewOnUnauthorized(tokens, next).SendAsync(call);

        Assert.Equal(status, sent.Response.StatusCode);
        Assert.Single(_tokenEndpoint.Seen);
    }

    [Fact]
    public async Task A_retry_after_a_wait_carries_a_renewed_token_once_the_old_one_reached_its_renewal_time_and_the_same_one_before()
    {
        var (call, _) = await StartAsync();
        var first = call.Token!;
        _tokenEndpoint.ThenToken("stepping-token-renew-4");

        await call.Wire.BeforeRetryAsync();
        Assert.Same(first, call.Token);
        Assert.Single(_tokenEndpoint.Seen);

        _clock.Advance(first.RenewAfter - _clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        await call.Wire.BeforeRetryAsync();

        using var message = call.Wire.Create();
        Assert.Equal("Bearer stepping-token-renew-4", message.Headers.Authorization?.ToString());
        Assert.Equal(2, _tokenEndpoint.Seen.Count);
        Assert.True(_log.Contains("the retry carries a renewed one"));
    }
}
