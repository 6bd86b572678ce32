using System.Net;
using TokenAuth.Errors;
using TokenAuth.Http;
using Xunit;

namespace TokenAuth.Tests.SendSteps;

/// <summary>
/// The step at the wire alone, on a scripted inner handler and the fake clock: the headers' limit
/// (-ConnectionTimeoutSeconds) and the stall guard (-OperationTimeoutSeconds), and that a request with neither costs
/// no timer at all.
/// </summary>
public sealed class HeaderTimeoutAndStallGuardTests
{
    private static readonly TimeSpan Allowed = TimeSpan.FromSeconds(100);

    private readonly TestClock _clock = new(fakeTimers: true);
    private readonly ScriptedHandler _wire = new();
    private readonly CancellationTokenSource _attempt = new();

    private ValueTask<HttpResponseMessage> Send(FakeRequest request) =>
        HeaderTimeoutAndStallGuard.SendAsync(new HttpClient(_wire), request.Create(), Stepping.Exchange(Stepping.Call(_clock), request), _attempt, Allowed, _clock);

    [Fact]
    public async Task A_request_with_neither_limit_goes_straight_to_the_client_with_no_timer_and_its_body_as_it_came()
    {
        _wire.Then(HttpStatusCode.OK);

        using var response = await Send(new FakeRequest());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.IsNotType<StallGuardContent>(response.Content);
        Assert.Empty(_clock.Waits);
    }

    [Fact]
    public async Task Headers_that_do_not_arrive_within_their_limit_end_in_a_timeout_that_says_no_answer_arrived()
    {
        _wire.ThenNoAnswer();

        var sending = Send(new FakeRequest { HeadersTimeout = TimeSpan.FromSeconds(5) }).AsTask();
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(5));
        var error = await Expect.Throws<ProviderUnreachableException>(() => sending);

        Assert.True(error.TimedOut);
        Assert.Contains("no answer arrived for 5 s", error.Message);
        // Only the headers' time ran out: the attempt's own goes on (a body read would still have its time).
        Assert.False(_attempt.IsCancellationRequested);
    }

    [Fact]
    public async Task A_headers_limit_no_shorter_than_the_attempt_s_time_adds_no_timer_of_its_own()
    {
        _wire.Then(HttpStatusCode.OK);

        using var response = await Send(new FakeRequest { HeadersTimeout = Allowed });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(_clock.Waits);
    }

    [Fact]
    public async Task A_body_that_goes_its_stall_limit_without_a_byte_ends_the_attempt_and_says_so()
    {
        _wire.Then(HttpStatusCode.OK, "[1, 2, 3]");

        using var response = await Send(new FakeRequest { StallTimeout = TimeSpan.FromSeconds(4) });
        var guard = Assert.IsType<StallGuardContent>(response.Content);
        using var body = await guard.ReadAsStreamAsync();
        var buffer = new byte[2];
        // Bytes that keep arriving keep the attempt alive: each read starts the limit again.
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await body.ReadAsync(buffer, 0, buffer.Length) > 0);
            _clock.Advance(TimeSpan.FromSeconds(3));
        }

        Assert.False(_attempt.IsCancellationRequested);
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(_attempt.IsCancellationRequested);
        Assert.True(guard.Stalled);
        var error = StallGuardContent.TimeoutError(Stepping.Call(_clock), new Uri("https://api.stepping.test/items"), guard, Allowed);
        Assert.Contains("no byte of the answer arrived for 4 s", error.Message);
    }
}
