using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading.Tasks;
using TokenAuth.Http;
using TokenAuth.Logging;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// GitHub Actions' OIDC token for the job (actions/toolkit's getIDToken): GET ACTIONS_ID_TOKEN_REQUEST_URL with
    /// ACTIONS_ID_TOKEN_REQUEST_TOKEN as bearer and the audience asked for, answered {"value": jwt}.
    /// </summary>
    internal sealed class GitHubActionsSource : ClientAssertionSource
    {
        private readonly string? _audience;
        private readonly Func<string, string?> _environment;

        public GitHubActionsSource(string? audience, Func<string, string?> environment)
            : base(audience == null ? "GitHubActions" : "GitHubActions:" + audience, "github-actions " + audience)
        {
            _audience = audience;
            _environment = environment;
        }

        public override string Takes => "the GitHub Actions job's OIDC token (with ACTIONS_ID_TOKEN_REQUEST_TOKEN), for "
            + (_audience == null ? "GitHub's default audience" : $"the audience '{Redaction.Printable(_audience)}'");

        internal override async Task<string> FetchAsync(AssertionFetch fetch)
        {
            var (endpoint, bearer) = PipelineOidcEndpoint.Locate(fetch, Description, _environment, "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                "not running in GitHub Actions, or the job lacks `permissions: id-token: write`?",
                "the runner sets it only for a job with `permissions: id-token: write`");
            if (_audience != null)
            {
                endpoint = UriQuery.Append(endpoint, new[] { new KeyValuePair<string, string?>("audience", _audience) });
            }

            var answer = await fetch.SendAsync(HttpMethod.Get, endpoint, bearer).ConfigureAwait(false);
            return PipelineOidcEndpoint.ReadAnswer(fetch, Description, "GitHub Actions' OIDC token endpoint", answer, "value", "does the job have `permissions: id-token: write`?");
        }
    }
}
