using System.Net;
using TokenAuth.Errors;
using TokenAuth.Http;
using Xunit;

namespace TokenAuth.Tests.SendSteps;

/// <summary>
/// The attempt step alone, on a scripted inner handler and the fake clock: how long an attempt may take (its own
/// timeout, or what is left of the call's budget), what a timeout names, and what it passes up for the retry step.
/// </summary>
public sealed class TimedAttemptTests
{
    private readonly TestClock _clock = new(fakeTimers: true);
    private readonly ScriptedHandler _wire = new();

    private TimedAttempt Step() => new(new HttpClient(_wire), _clock);

    [Fact]
    public async Task An_attempt_that_outlasts_its_timeout_ends_in_a_timeout_naming_the_attempt_s_limit()
    {
        _wire.ThenNoAnswer();

        var sending = Step().SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest())).AsTask();
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(100));
        var error = await Expect.Throws<ProviderUnreachableException>(() => sending);

        Assert.True(error.TimedOut);
        Assert.Contains("did not answer within 100 s", error.Message);
    }

    [Fact]
    public async Task Within_a_call_budget_shorter_than_the_attempt_s_timeout_the_attempt_gets_what_is_left_and_the_timeout_names_the_budget()
    {
        _wire.ThenNoAnswer();
        var call = Stepping.Call(_clock, budget: TimeSpan.FromSeconds(30));
        _clock.Advance(TimeSpan.FromSeconds(10));

        var sending = Step().SendAsync(Stepping.Exchange(call, new FakeRequest())).AsTask();
        await _clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(20));
        var error = await Expect.Throws<ProviderUnreachableException>(() => sending);

        Assert.Contains("did not answer within 30 s", error.Message);
    }

    [Fact]
    public async Task A_call_whose_budget_is_spent_sends_nothing()
    {
        var call = Stepping.Call(_clock, budget: TimeSpan.FromSeconds(30));
        _clock.Advance(TimeSpan.FromSeconds(30));

        var error = await Expect.Throws<ProviderUnreachableException>(() => Step().SendAsync(Stepping.Exchange(call, new FakeRequest())).AsTask());

        Assert.True(error.TimedOut);
        Assert.Empty(_wire.Seen);
    }

    [Fact]
    public async Task The_session_s_User_Agent_goes_along_unless_the_request_names_its_own()
    {
        _wire.Then(HttpStatusCode.OK).Then(HttpStatusCode.OK);
        var options = Stepping.Options() with { UserAgent = "Stepping-Session/1.0" };

        using (await Step().SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest(), options)))
        using (await Step().SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest { UserAgent = "Caller/2.0" }, options)))
        {
        }

        Assert.Equal(["Stepping-Session/1.0", "Caller/2.0"], _wire.Seen.Select(seen => seen.UserAgent));
    }

    [Fact]
    public async Task A_success_body_is_read_within_the_attempt_when_asked_and_one_that_breaks_off_is_passed_up_for_the_retry_step()
    {
        _wire.Then((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new BreaksOffContent() }));

        var error = await Record.ExceptionAsync(() => Step().SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest(), bufferSuccessBody: true)).AsTask());

        Assert.True(error is HttpRequestException || error is IOException, $"Expected the failure as it came, got {error}");
    }

    [Fact]
    public async Task A_success_body_not_asked_for_within_the_attempt_is_left_unread_for_its_reader()
    {
        var body = new BreaksOffContent();
        _wire.Then((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = body }));

        using var sent = await Step().SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest(), bufferSuccessBody: false));

        Assert.Equal(HttpStatusCode.OK, sent.Response.StatusCode);
        Assert.False(body.Read);
    }

    [Fact]
    public async Task A_connection_that_fails_is_passed_up_as_it_came()
    {
        var lost = new HttpRequestException("connection reset");
        _wire.Then((_, _) => throw lost);

        var error = await Record.ExceptionAsync(() => Step().SendAsync(Stepping.Exchange(Stepping.Call(_clock), new FakeRequest())).AsTask());

        Assert.Same(lost, error);
    }

    [Fact]
    public async Task The_caller_s_cancellation_is_a_cancellation_not_a_timeout()
    {
        using var caller = new CancellationTokenSource();
        _wire.ThenNoAnswer();

        var sending = Step().SendAsync(Stepping.Exchange(Stepping.Call(_clock, cancellation: caller.Token), new FakeRequest())).AsTask();
        await _clock.WaitingAsync(TimeSpan.FromSeconds(100));
        caller.Cancel();

        var error = await Record.ExceptionAsync(() => sending);
        Assert.IsAssignableFrom<OperationCanceledException>(error);
    }

    /// <summary>A body that sends a few bytes and then breaks off, as a connection reset mid-answer does.</summary>
    private sealed class BreaksOffContent : HttpContent
    {
        public bool Read { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            Read = true;
            await stream.WriteAsync(new byte[] { (byte)'{' }, 0, 1);
            throw new IOException("The connection was reset.");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
