using System.Threading.Tasks;
using TokenAuth.Http;

namespace TokenAuth.Requests
{
    /// <summary>
    /// A step of sending an API call, around the next one: <see cref="RenewOnUnauthorized"/> around
    /// <see cref="FollowRedirects"/>, which sends each hop through the <see cref="ISendStep"/>s of Http/. Made once per
    /// engine; the call carries all its own state.
    /// </summary>
    internal interface IApiStep
    {
        ValueTask<SentResponse> SendAsync(ApiCall call);
    }
}
