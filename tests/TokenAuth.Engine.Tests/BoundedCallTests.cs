using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Every call is bounded: a caller's limit covers the token it needs, retries, waits and the body; token requests have
/// their own limit however many wait on them; a provider's own answers are read only up to a size. Time runs on the
/// test's fake clock: each test waits until the engine has started a wait of the length it expects, moves the clock
/// past it, and asserts what ran out and in what order.
/// </summary>
public sealed class BoundedCallTests
{
    private static readonly TimeSpan TwoSeconds = TimeSpan.FromSeconds(2);

    private static async Task<ProviderUnreachableException> TimesOut(Task call)
    {
        var error = await Expect.Throws<ProviderUnreachableException>(() => call);

        Assert.True(error.TimedOut, error.Message);
        Assert.Equal("ProviderTimeout", error.ErrorId);
        return error;
    }

    [Fact]
    public async Task A_call_limit_bounds_the_token_request_made_for_the_call()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        harness.Emulator.InjectFault("akiba", "token", new EmulatorFault { StatusCode = 200, Delivery = FaultDelivery.Drip });

        var call = harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/sample") { Timeout = TwoSeconds, MaxRetries = 0 });
        await harness.Clock.AdvanceOnceWaitingAsync(TwoSeconds);
        var error = await TimesOut(call);

        Assert.Contains("within 2 s", error.Message);
        Assert.Contains("/akiba/authorization/token", error.Message);
    }

    [Fact]
    public async Task Redirects_share_the_call_limit()
    {
        // Each hop takes 0.8 s on the clock, within any per-attempt timeout; each hop gets only what the earlier ones left.
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        var akiba = harness.Request("Akiba");
        await harness.Engine.GetTokenAsync(akiba);
        harness.Emulator.InjectFault("akiba", "redirect", new EmulatorFault { DelayOnly = true, DelayMilliseconds = 800, Times = 3 });
        var hops = "resources/redirect?to=" + Uri.EscapeDataString("redirect?to=" + Uri.EscapeDataString("redirect?to=sample"));
        var hop = TimeSpan.FromMilliseconds(800);

        var call = harness.Engine.SendAsync(akiba, new ApiRequest("GET", hops) { Timeout = TwoSeconds });
        await harness.Clock.AdvanceOnceWaitingAsync(TwoSeconds, by: hop);
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromMilliseconds(1200), by: hop);
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromMilliseconds(400));
        var error = await TimesOut(call);

        Assert.Contains("within 2 s", error.Message);
        Assert.Contains("/akiba/resources/redirect", error.Message);
    }

    [Fact]
    public async Task Token_requests_end_within_the_token_timeout_when_no_caller_sets_a_limit()
    {
        await using var harness = await Harness.StartAsync(configureEngine: options => options with { TokenTimeout = TimeSpan.FromSeconds(1.5) }, fakeTimers: true);
        harness.Emulator.InjectFault("apimw", "token", new EmulatorFault { StatusCode = 200, Delivery = FaultDelivery.Silence });

        var call = harness.Engine.GetTokenAsync(harness.Request("APIMW")).AsTask();
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(1.5));
        var error = await TimesOut(call);

        Assert.Contains("within 1.5 s", error.Message);
        Assert.Contains("/apimw/v1/auth/token", error.Message);
    }

    [Fact]
    public async Task A_refresh_and_its_fallback_to_the_credentials_share_one_token_timeout()
    {
        await using var harness = await Harness.StartAsync(configureEngine: options => options with { TokenTimeout = TwoSeconds }, fakeTimers: true);
        var request = harness.Request("APIMW");
        var first = await harness.Engine.GetTokenAsync(request);
        harness.Clock.Advance(first.Token.RenewAfter - harness.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        harness.Emulator.InjectFault("apimw", "refresh", new EmulatorFault { StatusCode = 401, DelayMilliseconds = 800 });
        harness.Emulator.InjectFault("apimw", "token", new EmulatorFault { StatusCode = 200, Delivery = FaultDelivery.Silence });

        // The refresh takes 1.2 s of the 2 s before it is refused; the fallback gets the 0.8 s left, not 2 s of its own.
        var call = harness.Engine.GetTokenAsync(request, log: harness.Log).AsTask();
        await harness.Clock.AdvanceOnceWaitingAsync(TwoSeconds, by: TimeSpan.FromMilliseconds(1200));
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromMilliseconds(800));
        var error = await TimesOut(call);

        Assert.Contains("within 2 s", error.Message);
        Assert.True(harness.Log.Contains("refused the refresh token"));
        Assert.Equal(1, harness.Count("apimw", "refresh"));
    }

    [Fact]
    public async Task A_Retry_After_longer_than_the_time_left_ends_the_call_at_once()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        await harness.Engine.GetTokenAsync(harness.Request("Akiba"));
        harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 503, RetryAfter = "4" });
        var startedAt = harness.Clock.GetUtcNow();

        await TimesOut(harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/sample") { Timeout = TimeSpan.FromSeconds(3) }, harness.Log));

        Assert.True(harness.Log.Contains("would pass the call's 3 s limit"));
        Assert.DoesNotContain(TimeSpan.FromSeconds(4), harness.Clock.Waits);
        Assert.Equal(startedAt, harness.Clock.GetUtcNow());
    }

    [Fact]
    public async Task Twenty_callers_on_a_dripping_token_endpoint_all_give_up_on_time_and_the_next_caller_starts_afresh()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        harness.Emulator.InjectFault("ankorstore", "token", new EmulatorFault { StatusCode = 200, Delivery = FaultDelivery.Drip });
        var request = harness.Request("Ankorstore");

        var callers = Enumerable.Range(0, 20).Select(_ => Task.Run(() => harness.Engine.GetTokenAsync(request, timeout: TwoSeconds).AsTask())).ToArray();
        await harness.Emulator.WaitForRequestsAsync("ankorstore", "token");
        for (var caller = 0; caller < callers.Length; caller++)
        {
            await harness.Clock.WaitingAsync(TwoSeconds);
        }

        harness.Clock.Advance(TwoSeconds);
        var outcomes = await Task.WhenAll(callers.Select(caller => Record.ExceptionAsync(() => caller)));

        Assert.All(outcomes, outcome => Assert.True(outcome is ProviderUnreachableException { TimedOut: true }, outcome?.ToString()));
        Assert.Equal(1, harness.Count("ankorstore", "token"));

        var next = await harness.Engine.GetTokenAsync(request, timeout: TwoSeconds);
        Assert.False(next.FromCache);
        Assert.Equal(2, harness.Count("ankorstore", "token"));
    }

    [Fact]
    public async Task Who_am_I_and_revoke_calls_take_the_caller_limit()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        var ankorstore = harness.Request("Ankorstore");
        var apimw = harness.Request("APIMW");
        await harness.Engine.GetTokenAsync(ankorstore);
        await harness.Engine.GetTokenAsync(apimw);
        harness.Emulator.InjectFault("ankorstore", "whoami", new EmulatorFault { StatusCode = 200, Delivery = FaultDelivery.Silence });
        harness.Emulator.InjectFault("apimw", "revoke", new EmulatorFault { StatusCode = 200, Delivery = FaultDelivery.Silence });
        var oneSecond = TimeSpan.FromSeconds(1);

        var whoAmICall = harness.Engine.WhoAmIAsync(ankorstore, timeout: oneSecond);
        await harness.Clock.AdvanceOnceWaitingAsync(oneSecond);
        var whoAmI = await TimesOut(whoAmICall);
        var revokeCall = harness.Engine.RevokeAsync(apimw, timeout: oneSecond);
        await harness.Clock.AdvanceOnceWaitingAsync(oneSecond);
        var revoked = await revokeCall;

        Assert.Contains("/ankorstore/api/v1/me", whoAmI.Message);
        Assert.True(revoked.ProviderFailure is ProviderUnreachableException { TimedOut: true }, revoked.Message);
        Assert.True(revoked.Forgotten);
    }

    [NotOnMonoTheory(Allocation.NotCountedOnMono)]
    [InlineData(FaultDelivery.Oversized)]
    [InlineData(FaultDelivery.OversizedChunked)]
    public async Task A_token_answer_over_the_limit_is_refused_without_being_held(FaultDelivery delivery)
    {
        await using var harness = await Harness.StartAsync();
        harness.Emulator.InjectFault("akiba", "token", new EmulatorFault { StatusCode = 200, Delivery = delivery, Size = 64L << 20 });
        var allocated = Allocation.TotalBytes();

        var error = await Expect.Throws<MalformedResponseException>(() => harness.Engine.GetTokenAsync(harness.Request("Akiba")).AsTask());
        allocated = Allocation.TotalBytes() - allocated;

        Assert.Equal("MalformedProviderResponse", error.ErrorId);
        Assert.Contains("larger than the 1,048,576 bytes", error.Message);
        Assert.Contains("/akiba/authorization/token", error.Message);
        // The emulator shares the process and writes one reused chunk; the client must not have taken in 64 MiB.
        Assert.True(allocated < 16L << 20, $"{allocated:N0} bytes allocated while refusing a 64 MiB answer");
    }

    [Fact]
    public async Task Who_am_I_refresh_and_revoke_answers_over_the_limit_are_refused()
    {
        await using var harness = await Harness.StartAsync();
        var apimw = harness.Request("APIMW");
        harness.Emulator.InjectFault("apimw", "whoami", new EmulatorFault { StatusCode = 200, Delivery = FaultDelivery.OversizedChunked, Size = 4L << 20 });

        var whoAmI = await Expect.Throws<MalformedResponseException>(() => harness.Engine.WhoAmIAsync(apimw));

        // A refresh that answers too much is a failure, not a refusal: it is not papered over with the credentials.
        var first = await harness.Engine.GetTokenAsync(apimw);
        harness.Clock.Advance(first.Token.RenewAfter - harness.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        harness.Emulator.InjectFault("apimw", "refresh", new EmulatorFault { StatusCode = 200, Delivery = FaultDelivery.Oversized, Size = 4L << 20 });
        var refresh = await Expect.Throws<MalformedResponseException>(() => harness.Engine.GetTokenAsync(apimw).AsTask());

        await harness.Engine.GetTokenAsync(apimw);
        harness.Emulator.InjectFault("apimw", "revoke", new EmulatorFault { StatusCode = 200, Delivery = FaultDelivery.Oversized, Size = 4L << 20 });
        var revoked = await harness.Engine.RevokeAsync(apimw);

        Assert.Equal(Errors.ProviderOperation.WhoAmI, whoAmI.Operation);
        Assert.Equal(Errors.ProviderOperation.Refresh, refresh.Operation);
        Assert.Equal(Errors.ProviderOperation.Revoke, Assert.IsType<MalformedResponseException>(revoked.ProviderFailure).Operation);
        Assert.All(new[] { whoAmI.Message, refresh.Message, revoked.ProviderFailure!.Message }, message => Assert.Contains("larger than the 1,048,576 bytes", message));
    }

    [Fact]
    public async Task The_answer_limit_is_configurable_and_API_responses_are_not_limited()
    {
        await using var harness = await Harness.StartAsync(configureEngine: options => options with { MaxProviderAnswerBytes = 64 });

        var refused = await Expect.Throws<MalformedResponseException>(() => harness.Engine.GetTokenAsync(harness.Request("Akiba")).AsTask());
        Assert.Contains("larger than the 64 bytes", refused.Message);

        // The token needs more than 64 bytes; the 2 MiB answer that follows is twice the default limit.
        await using var defaults = await Harness.StartAsync();
        var response = await defaults.Engine.SendAsync(defaults.Request("Kitegateway"), new ApiRequest("GET", "resources/bytes?size=2097152"));
        Assert.Equal(2097152, Assert.IsType<byte[]>(response.Content).Length);
    }
}
