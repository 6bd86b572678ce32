using System.Net;
using System.Net.Http.Headers;
using TokenAuth.Errors;
using TokenAuth.Http;
using Xunit;

namespace TokenAuth.Tests.SendSteps;

/// <summary>
/// The retry step alone, over a scripted next step and on the fake clock: which answers it sends again, how long it
/// waits first (the clock's waits, never the wall's), and what it leaves alone.
/// </summary>
public sealed class TransientRetryTests
{
    private readonly TestClock _clock = new(fakeTimers: true);

    private TransientRetry Step(ScriptedStep next) => new(_clock, next);

    [Fact]
    public async Task A_503_with_Retry_After_in_seconds_is_sent_again_after_exactly_that_wait_on_the_clock()
    {
        var next = new ScriptedStep()
            .Then(HttpStatusCode.ServiceUnavailable, response => response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)))
            .Then(HttpStatusCode.OK);
        var request = new FakeRequest();

        var sending = Step(next).SendAsync(Stepping.Exchange(Stepping.Call(_clock), request)).AsTask();
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(7));
        using var sent = await sending;

        Assert.Equal(HttpStatusCode.OK, sent.Response.StatusCode);
        Assert.Equal(1, sent.Retries);
        Assert.Equal(TimeSpan.FromSeconds(7), sent.Waited);
        Assert.Equal([TimeSpan.FromSeconds(7)], _clock.Waits);
        Assert.Equal(2, next.Exchanges.Count);
        // The 503 set aside is released: its body and connection are not held while the retry goes on.
        await StepAssert.DisposedAsync(next.Answers[0]);
    }

    [Fact]
    public async Task Retry_After_as_a_date_waits_until_that_date_on_the_clock()
    {
        var next = new ScriptedStep()
            .Then((HttpStatusCode)429, response => response.Headers.RetryAfter = new RetryConditionHeaderValue(_clock.GetUtcNow().AddSeconds(42)))
            .Then(HttpStatusCode.OK);

        var sending = Step(next).SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest())).AsTask();
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(42));
        using var sent = await sending;

        Assert.Equal(HttpStatusCode.OK, sent.Response.StatusCode);
        Assert.Equal([TimeSpan.FromSeconds(42)], _clock.Waits);
    }

    [Fact]
    public async Task The_request_brings_itself_up_to_date_after_each_wait_and_never_before_the_first_attempt()
    {
        var next = new ScriptedStep().Then(HttpStatusCode.ServiceUnavailable).Then(HttpStatusCode.ServiceUnavailable).Then(HttpStatusCode.OK);
        var request = new FakeRequest();
        var options = Stepping.Options() with { Retry = Stepping.Options().Retry with { Interval = TimeSpan.FromSeconds(3) } };

        var sending = Step(next).SendAsync(Stepping.Exchange(Stepping.Call(_clock), request, options)).AsTask();
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(3));
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(3));
        using var sent = await sending;

        Assert.Equal(2, sent.Retries);
        Assert.Equal(["before retry", "before retry"], request.Events);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task A_502_or_504_is_sent_again_only_when_the_request_is_idempotent(HttpStatusCode status)
    {
        var options = Stepping.Options() with { Retry = Stepping.Options().Retry with { Interval = TimeSpan.FromSeconds(1) } };
        var notIdempotent = new ScriptedStep().Then(status);
        using (var sent = await Step(notIdempotent).SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest { Idempotent = false }, options)))
        {
            Assert.Equal(status, sent.Response.StatusCode);
            Assert.Single(notIdempotent.Exchanges);
        }

        var idempotent = new ScriptedStep().Then(status).Then(HttpStatusCode.OK);
        var sending = Step(idempotent).SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest(), options)).AsTask();
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(1));
        using var retried = await sending;
        Assert.Equal(HttpStatusCode.OK, retried.Response.StatusCode);
        Assert.Equal(2, idempotent.Exchanges.Count);
    }

    [Fact]
    public async Task A_body_that_can_be_sent_only_once_is_never_sent_again_and_the_log_says_why()
    {
        var log = new RecordingLog();
        var next = new ScriptedStep().Then(HttpStatusCode.ServiceUnavailable);

        using var sent = await Step(next).SendAsync(Stepping.Exchange(Stepping.Call(_clock, log: log), new FakeRequest { Replayable = false }));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, sent.Response.StatusCode);
        Assert.Single(next.Exchanges);
        Assert.Empty(_clock.Waits);
        Assert.True(log.Contains("not retried, because the request body cannot be sent again"));
    }

    [Fact]
    public async Task When_the_retries_are_spent_the_last_answer_is_returned_as_it_came()
    {
        var options = Stepping.Options(maxRetries: 1) with { Retry = Stepping.Options().Retry with { MaxRetries = 1, Interval = TimeSpan.FromSeconds(2) } };
        var next = new ScriptedStep().Then(HttpStatusCode.ServiceUnavailable).Then(HttpStatusCode.ServiceUnavailable);

        var sending = Step(next).SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest(), options)).AsTask();
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(2));
        using var sent = await sending;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, sent.Response.StatusCode);
        Assert.Equal(1, sent.Retries);
        Assert.Equal(2, next.Exchanges.Count);
    }

    [Fact]
    public async Task A_Retry_After_beyond_the_policy_s_total_wait_is_not_waited_for()
    {
        var next = new ScriptedStep()
            .Then(HttpStatusCode.ServiceUnavailable, response => response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromMinutes(6)));

        using var sent = await Step(next).SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest()));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, sent.Response.StatusCode);
        Assert.Empty(_clock.Waits);
    }

    [Fact]
    public async Task A_wait_the_call_s_budget_cannot_cover_ends_the_call_at_once_naming_the_budget()
    {
        var next = new ScriptedStep()
            .Then(HttpStatusCode.ServiceUnavailable, response => response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(30)));

        var error = await Expect.Throws<ProviderUnreachableException>(() =>
            Step(next).SendAsync(Stepping.Exchange(Stepping.Call(_clock, budget: TimeSpan.FromSeconds(20)), new FakeRequest())).AsTask());

        Assert.True(error.TimedOut);
        Assert.Contains("within 20 s", error.Message);
        Assert.Empty(_clock.Waits);
        await StepAssert.DisposedAsync(next.Answers[0]);
    }

    [Fact]
    public async Task A_lost_connection_is_sent_again_when_idempotent_and_reported_unreachable_when_not()
    {
        var options = Stepping.Options() with { Retry = Stepping.Options().Retry with { Interval = TimeSpan.FromSeconds(1) } };
        var lost = new HttpRequestException("connection reset");
        var idempotent = new ScriptedStep().ThenThrow(lost).Then(HttpStatusCode.OK);
        var sending = Step(idempotent).SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest(), options)).AsTask();
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(1));
        using (var sent = await sending)
        {
            Assert.Equal(HttpStatusCode.OK, sent.Response.StatusCode);
            Assert.Equal(1, sent.Retries);
        }

        var notIdempotent = new ScriptedStep().ThenThrow(lost);
        var error = await Expect.Throws<ProviderUnreachableException>(() =>
            Step(notIdempotent).SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest { Idempotent = false }, options)).AsTask());
        Assert.False(error.TimedOut);
        Assert.Same(lost, error.InnerException);
        Assert.Single(notIdempotent.Exchanges);
    }

    [Fact]
    public async Task The_caller_s_cancellation_ends_a_wait_at_once()
    {
        using var caller = new CancellationTokenSource();
        var next = new ScriptedStep()
            .Then(HttpStatusCode.ServiceUnavailable, response => response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(60)));

        var sending = Step(next).SendAsync(Stepping.Exchange(Stepping.Call(_clock, cancellation: caller.Token), new FakeRequest())).AsTask();
        await _clock.WaitingAsync(TimeSpan.FromSeconds(60));
        caller.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        Assert.Single(next.Exchanges);
    }
}
