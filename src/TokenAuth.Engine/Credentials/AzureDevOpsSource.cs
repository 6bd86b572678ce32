using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading.Tasks;
using TokenAuth.Http;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// Azure Pipelines' OIDC token (the oidctoken REST call, as the Azure CLI task makes it): POST to
    /// SYSTEM_OIDCREQUESTURI with SYSTEM_ACCESSTOKEN as bearer, for a service connection (its workload identity
    /// federation) or, without one, the pipeline itself; answered {"oidcToken": jwt}.
    /// </summary>
    internal sealed class AzureDevOpsSource : ClientAssertionSource
    {
        private readonly string? _serviceConnectionId;
        private readonly Func<string, string?> _environment;

        public AzureDevOpsSource(string? serviceConnectionId, Func<string, string?> environment)
            : base(serviceConnectionId == null ? "AzureDevOps" : "AzureDevOps:" + serviceConnectionId, "azure-devops " + serviceConnectionId?.ToLowerInvariant())
        {
            _serviceConnectionId = serviceConnectionId;
            _environment = environment;
        }

        public override string Takes => "Azure Pipelines' OIDC token (with SYSTEM_ACCESSTOKEN), for "
            + (_serviceConnectionId == null ? "the pipeline" : "the service connection " + _serviceConnectionId);

        internal override async Task<string> FetchAsync(AssertionFetch fetch)
        {
            var (endpoint, bearer) = PipelineOidcEndpoint.Locate(fetch, Description, _environment, "SYSTEM_OIDCREQUESTURI", "SYSTEM_ACCESSTOKEN",
                "not running in an Azure Pipelines job?",
                "map it into the step's environment (env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)); the agent gives it to no script unasked");
            var fields = new List<KeyValuePair<string, string?>> { new KeyValuePair<string, string?>("api-version", "7.1-preview.1") };
            if (_serviceConnectionId != null)
            {
                fields.Add(new KeyValuePair<string, string?>("serviceConnectionId", _serviceConnectionId));
            }

            endpoint = UriQuery.Append(endpoint, fields);
            var answer = await fetch.SendAsync(HttpMethod.Post, endpoint, bearer).ConfigureAwait(false);
            return PipelineOidcEndpoint.ReadAnswer(fetch, Description, "Azure DevOps' oidctoken endpoint", answer, "oidcToken",
                "is the service connection id right, and may this pipeline use that connection?");
        }
    }
}
