using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Logging;

namespace TokenAuth.Commands
{
    /// <summary>
    /// What every TokenAuth cmdlet does alike: run engine calls on the pipeline thread's behalf (Ctrl+C cancels them),
    /// relay the engine's log to Verbose, Debug and Warning on the pipeline thread, and turn engine exceptions into
    /// ErrorRecords.
    /// </summary>
    public abstract class TokenAuthCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private PipelineThreadChannel? _channel;

        private PipelineThreadChannel Channel => _channel ??= new PipelineThreadChannel(IsOn("VerbosePreference", "Verbose"), IsOn("DebugPreference", "Debug"));

        /// <summary>The engine's log for this invocation; lines reach the streams on the pipeline thread.</summary>
        internal ITokenAuthLog Log => Channel;

        /// <summary>What runs a script block source on the pipeline thread and masks assertions in a CI's log: passed to the engine with each request.</summary>
        internal IClientAssertionHost AssertionHost => Channel;

        protected CancellationToken Cancellation => _stopping.Token;

        /// <summary>Runs work on the pipeline thread the next time it waits on the engine (writing to a stream, which only that thread may).</summary>
        internal void OnPipelineThread(Action work) => Channel.Post(work);

        protected override void StopProcessing() => _stopping.Cancel();

        /// <summary>The first TokenAuth command of the session says which kept registrations were left out, and why: else a provider the user registered with -Persist just vanishes.</summary>
        protected override void BeginProcessing()
        {
            foreach (var skipped in PersistedProviders.TakeUnreported())
            {
                WriteWarning($"A provider registration kept for later sessions could not be loaded, and is left out of this session: {Redaction.Printable(skipped).TrimEnd('.')}. "
                    + "Register it again with -Persist, or remove it with Unregister-TokenAuthProvider.");
            }
        }

        protected override void EndProcessing() => Flush();

        /// <summary>
        /// PowerShell disposes the cmdlet when the pipeline ends, after any Ctrl+C could reach it. Work still under way
        /// then (the pipeline was stopped early, or a terminating error ended it) is cancelled.
        /// </summary>
        public void Dispose()
        {
            _stopping.Cancel();
            ReleaseUnfinished();
            _stopping.Dispose();
        }

        /// <summary>Releases what work left unfinished holds; nothing, unless a cmdlet keeps work in flight between items.</summary>
        protected virtual void ReleaseUnfinished()
        {
        }

        /// <summary>Waits for an engine call, relaying its log lines meanwhile; Ctrl+C ends the wait at once.</summary>
        internal T Await<T>(Task<T> task)
        {
            // The loop ends on the task itself, not on the continuation that wakes it: that continuation wakes the thread
            // before it has itself completed, so a loop waiting for it could find it unfinished, sleep out a whole poll
            // (25 ms) and only then see the answer. GetResult below rethrows a failure as it was thrown (Task.Wait would
            // wrap it in an AggregateException, hiding the TokenAuthException that becomes the ErrorRecord).
            if (!task.IsCompleted)
            {
                // Woken at once when the engine hands the pipeline thread work (a client assertion's script block), not at the next poll.
                var channel = Channel;
                _ = task.ContinueWith(static (_, state) => ((PipelineThreadChannel)state!).Wake(), channel, CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                while (!task.IsCompleted)
                {
                    channel.WaitForWork(25);
                    Flush();
                }
            }

            Flush();
            return task.GetAwaiter().GetResult();
        }

        internal T Await<T>(ValueTask<T> task) => task.IsCompleted ? Flushed(task.Result) : Await(task.AsTask());

        private T Flushed<T>(T value)
        {
            Flush();
            return value;
        }

        private void Flush()
        {
            if (_channel == null)
            {
                return;
            }

            while (_channel.PipelineThreadWork?.TryDequeue(out var work) == true)
            {
                work();
            }

            while (_channel.SecretsToMask?.TryDequeue(out var secret) == true)
            {
                MaskInCiLog(secret);
            }

            while (_channel.Lines?.TryDequeue(out var line) == true)
            {
                switch (line.Level)
                {
                    case LogLevel.Warning:
                        WriteWarning(line.Message);
                        break;
                    case LogLevel.Debug:
                        WriteDebug(line.Message);
                        break;
                    default:
                        WriteVerbose(line.Message);
                        break;
                }
            }
        }

        /// <summary>
        /// Tells a CI agent (Azure DevOps, GitHub Actions) to mask the value in its log, before the value could appear there:
        /// once per process, as the agent masks it for the whole job once told; every call repeating it only filled the log.
        /// </summary>
        internal void MaskInCiLog(string value)
        {
            var commands = CiMasking.CommandsFor(value);
            if (commands.Count == 0 || !MaskedInCiLog.TryAdd(Fingerprint(value), true))
            {
                return;
            }

            foreach (var command in commands)
            {
                Host.UI.WriteLine(command);
            }
        }

        /// <summary>The values this process has had masked, by their SHA-256: the values themselves are not kept for it.</summary>
        private static readonly ConcurrentDictionary<string, bool> MaskedInCiLog = new ConcurrentDictionary<string, bool>();

        private static string Fingerprint(string value)
        {
            using var sha = SHA256.Create();
            return Convert.ToBase64String(sha.ComputeHash(Encoding.UTF8.GetBytes(value)));
        }

        /// <summary>
        /// Runs one item's work: a TokenAuth failure becomes a non-terminating error for this item, except one that no
        /// later item could escape (SecretManagement missing), which ends the command; Ctrl+C ends quietly.
        /// </summary>
        protected void ForItem(object? target, Action work)
        {
            try
            {
                work();
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                Flush();
            }
            catch (TokenAuthException ex)
            {
                Flush();
                var record = ToErrorRecord(ex, target);
                if (ex is SecretLookupException { Failure: SecretFailure.ModuleMissing })
                {
                    ThrowTerminatingError(record);
                }

                WriteError(record);
            }
        }

        internal static ErrorRecord ToErrorRecord(TokenAuthException ex, object? target)
        {
            var record = new ErrorRecord(ex, ex.ErrorId, CategoryOf(ex), target);
            if (ex is ErrorResponseException provider)
            {
                // The default error view shows ErrorDetails alone: it must say whose refusal, of what, and why.
                record.ErrorDetails = new ErrorDetails(provider.Summary)
                {
                    RecommendedAction = provider.Hint,
                };
            }

            return record;
        }

        private static ErrorCategory CategoryOf(TokenAuthException ex) => ex switch
        {
            ProviderErrorException { Operation: ProviderOperation.Token or ProviderOperation.Refresh } => ErrorCategory.AuthenticationError,
            ErrorResponseException provider => (int)provider.StatusCode switch
            {
                401 => ErrorCategory.AuthenticationError,
                403 => ErrorCategory.PermissionDenied,
                404 => ErrorCategory.ObjectNotFound,
                409 => ErrorCategory.ResourceExists,
                429 => ErrorCategory.LimitsExceeded,
                >= 500 => ErrorCategory.ResourceUnavailable,
                _ => ErrorCategory.InvalidResult,
            },
            MalformedResponseException => ErrorCategory.InvalidData,
            AssumedTokenPathException => ErrorCategory.ObjectNotFound,
            ProviderUnreachableException { TimedOut: true } => ErrorCategory.OperationTimeout,
            ProviderUnreachableException => ErrorCategory.ConnectionError,
            CredentialException => ErrorCategory.InvalidArgument,
            ClientAssertionException => ErrorCategory.AuthenticationError,
            SignInException signIn => signIn.Failure switch
            {
                SignInFailure.NotInteractive => ErrorCategory.InvalidOperation,
                SignInFailure.AccessDenied => ErrorCategory.PermissionDenied,
                SignInFailure.TimedOut or SignInFailure.DeviceCodeExpired => ErrorCategory.OperationTimeout,
                SignInFailure.StateMismatch => ErrorCategory.SecurityError,
                SignInFailure.NotSupported => ErrorCategory.NotImplemented,
                _ => ErrorCategory.AuthenticationError,
            },
            ProviderConfigurationException => ErrorCategory.InvalidArgument,
            NotSupportedByProviderException => ErrorCategory.NotImplemented,
            UnsafeRequestException => ErrorCategory.SecurityError,
            InvalidRequestException => ErrorCategory.InvalidArgument,
            CertificateException { Problem: CertificateProblem.ClientCertificateUnusable or CertificateProblem.BundleUnusable } => ErrorCategory.InvalidArgument,
            CertificateException { Problem: CertificateProblem.ClientCertificateRequired or CertificateProblem.ClientCertificateRefused } => ErrorCategory.AuthenticationError,
            CertificateException => ErrorCategory.SecurityError,
            ProxyException { AuthenticationRequired: true } => ErrorCategory.AuthenticationError,
            ProxyException => ErrorCategory.ConnectionError,
            OutFileException => ErrorCategory.WriteError,
            SecretLookupException secret => secret.Failure switch
            {
                SecretFailure.ModuleMissing => ErrorCategory.NotInstalled,
                SecretFailure.VaultNotFound or SecretFailure.SecretNotFound => ErrorCategory.ObjectNotFound,
                SecretFailure.VaultLocked => ErrorCategory.PermissionDenied,
                SecretFailure.WrongShape => ErrorCategory.InvalidData,
                _ => ErrorCategory.ReadError,
            },
            _ => ErrorCategory.NotSpecified,
        };

        private bool IsOn(string preference, string commonParameter)
        {
            if (MyInvocation.BoundParameters.TryGetValue(commonParameter, out var bound))
            {
                return bound is SwitchParameter on ? on.IsPresent : bound is bool value && value;
            }

            // A preference set in a child scope ($DebugPreference = 'Continue' in a function) is a plain string there;
            // the usual value is the enum itself, read without PowerShell's conversion machinery (on every call).
            var set = GetVariableValue(preference);
            var level = set is ActionPreference typed ? typed
                : LanguagePrimitives.TryConvertTo(set, out ActionPreference converted) ? converted : ActionPreference.SilentlyContinue;
            return level != ActionPreference.SilentlyContinue && level != ActionPreference.Ignore;
        }

        /// <summary>
        /// The channel from the engine to the pipeline thread: engine log lines, queued from any thread until the pipeline
        /// thread writes them; likewise a client assertion source's script block, which PowerShell runs only there, and the
        /// assertions to mask in a CI's log.
        /// </summary>
        private sealed class PipelineThreadChannel : ITokenAuthLog, IClientAssertionHost
        {
            private readonly bool _verbose;
            private readonly bool _debug;

            public PipelineThreadChannel(bool verbose, bool debug)
            {
                _verbose = verbose;
                _debug = debug;
            }

            // Each queue is made when first written to: most calls write to none, and three empty queues cost a call
            // about a microsecond (their first segments).
            private ConcurrentQueue<(LogLevel Level, string Message)>? _lines;
            private ConcurrentQueue<Action>? _pipelineThreadWork;
            private ConcurrentQueue<string>? _secretsToMask;

            public ConcurrentQueue<(LogLevel Level, string Message)>? Lines => Volatile.Read(ref _lines);

            public ConcurrentQueue<Action>? PipelineThreadWork => Volatile.Read(ref _pipelineThreadWork);

            public ConcurrentQueue<string>? SecretsToMask => Volatile.Read(ref _secretsToMask);

            public bool IsEnabled(LogLevel level) => level == LogLevel.Warning || (level == LogLevel.Verbose ? _verbose : _debug);

            public void Write(LogLevel level, string message) => LazyInitializer.EnsureInitialized(ref _lines)!.Enqueue((level, message));

            // Released for each piece of work queued and when the awaited task ends; never disposed, so it makes no wait handle.
            private readonly SemaphoreSlim _wake = new SemaphoreSlim(0);

            public void Wake() => _wake.Release();

            /// <summary>Queues work for the pipeline thread and wakes it, so that it runs now rather than at the next poll.</summary>
            public void Post(Action work)
            {
                LazyInitializer.EnsureInitialized(ref _pipelineThreadWork)!.Enqueue(work);
                Wake();
            }

            public void WaitForWork(int milliseconds) => _wake.Wait(milliseconds);

            /// <summary>Runs when the pipeline thread next waits on the engine; cancelled if it never does (the command was stopped).</summary>
            public Task<string> RunOnCallerThreadAsync(Func<string> produce, CancellationToken cancellationToken)
            {
                var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                var registration = cancellationToken.Register(() => result.TrySetCanceled(cancellationToken));
                Post(() =>
                {
                    registration.Dispose();
                    if (result.Task.IsCompleted)
                    {
                        return;
                    }

                    try
                    {
                        result.TrySetResult(produce());
                    }
                    catch (Exception ex)
                    {
                        result.TrySetException(ex);
                    }
                });
                return result.Task;
            }

            public void RegisterSecret(string value) => LazyInitializer.EnsureInitialized(ref _secretsToMask)!.Enqueue(value);
        }
    }
}
