using System;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Json;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;

namespace TokenAuth
{
    /// <summary>
    /// Runs the engine's token and request paths once against canned answers, so that the runtime has compiled them
    /// before the first real call needs them. A fresh process (a pipeline step) otherwise compiles them on its first call:
    /// about 80 ms of its first token and request, here, which this does on another core while PowerShell finishes the
    /// import and binds the first command. Nothing leaves the process: a private engine with its own client over an
    /// in-memory handler, a made-up credential and host, no log, no session cache, no pooled client, no vault.
    /// </summary>
    public static class EngineWarmUp
    {
        private static int _started;

        /// <summary>
        /// Starts the run on the thread pool, once a process (each runspace that imports the module asks again; the code
        /// is compiled for all). The task never fails: a failed warm-up only leaves the first call to compile its own code.
        /// </summary>
        public static Task Start(IJsonObjectBuilder builder) =>
            Interlocked.Exchange(ref _started, 1) == 0 ? RunQuietly(builder) : Task.CompletedTask;

        /// <summary>The run on the thread pool, its failure kept to itself.</summary>
        internal static Task RunQuietly(IJsonObjectBuilder builder) => Task.Run(async () =>
        {
            try
            {
                await RunAsync(builder).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Nobody waits for this run, and nothing of the user's depends on it.
            }
        });

        /// <summary>
        /// A token request, a request with that token, one with the cached token, and the JSON answer built with
        /// <paramref name="builder"/>. Returns how many token requests were made: one.
        /// </summary>
        internal static async Task<int> RunAsync(IJsonObjectBuilder builder)
        {
            var answers = new CannedAnswers();
            var target = ProviderTarget.Resolve(BuiltInProviders.All[0], baseUri: "https://warm-up.invalid/");
            var request = new TokenRequest(target, new ProviderCredential("warm-up-id", "warm-up-secret", "warm-up-credential"));
            var engine = new TokenAuthEngine(null, null, answers);
            await SendAsync(engine, request, builder).ConfigureAwait(false);
            await SendAsync(engine, request, builder).ConfigureAwait(false);
            return answers.TokenRequests;
        }

        private static async Task SendAsync(TokenAuthEngine engine, TokenRequest request, IJsonObjectBuilder builder)
        {
            var response = await engine.SendAsync(request, new ApiRequest("GET", "resources/sample")).ConfigureAwait(false);
            response.TryBuildJson(builder, out _);
        }

        /// <summary>Answers as a provider would, after a yield, so that every await on the way suspends as it does over a network.</summary>
        private sealed class CannedAnswers : HttpMessageHandler
        {
            private const string Token = "{\"access_token\":\"canned-access-token\",\"token_type\":\"Bearer\",\"expires_in\":3600}";
            private const string Resource = "{\"id\":1,\"name\":\"sample\",\"tags\":[\"a\",\"b\"],\"price\":2.5,\"active\":true,\"parent\":null}";

            private int _tokenRequests;

            public int TokenRequests => _tokenRequests;

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                await Task.Yield();
                var isTokenCall = request.Method == HttpMethod.Post;
                if (isTokenCall)
                {
                    Interlocked.Increment(ref _tokenRequests);
                }

                return new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent(isTokenCall ? Token : Resource, Encoding.UTF8, "application/json"),
                    RequestMessage = request,
                };
            }
        }
    }
}
