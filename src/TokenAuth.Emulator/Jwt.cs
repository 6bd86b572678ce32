using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TokenAuth.Emulator;

/// <summary>
/// The emulator's one JWT reader and writer (compact JWS: header.claims.signature, each base64url). It reads a client
/// assertion apart for the verifier (ProviderEmulator.ClientAssertions.cs) and writes the tokens the emulator issues;
/// it checks no signature itself.
/// </summary>
internal sealed class Jwt
{
    private readonly string _encodedSignature;

    private Jwt(JsonNode? header, JsonNode? claims, string signingInput, string encodedSignature)
    {
        Header = header;
        Claims = claims;
        SigningInput = Encoding.ASCII.GetBytes(signingInput);
        _encodedSignature = encodedSignature;
    }

    public JsonNode? Header { get; }

    public JsonNode? Claims { get; }

    /// <summary>What the signature signs: the encoded header and claims.</summary>
    public byte[] SigningInput { get; }

    /// <summary>Decoded when a verifier asks: checks that come before it answer first, whatever the signature holds.</summary>
    public byte[] Signature => Decode(_encodedSignature);

    /// <summary>The JWT's parts, or null when the text is not three parts whose first two are base64url JSON.</summary>
    public static Jwt? Read(string text)
    {
        var parts = text.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            return new Jwt(JsonNode.Parse(Decode(parts[0])), JsonNode.Parse(Decode(parts[1])), parts[0] + "." + parts[1], parts[2]);
        }
        catch (Exception ex) when (ex is FormatException || ex is JsonException)
        {
            return null;
        }
    }

    /// <summary>A JWT of this header and these claims, its signature what <paramref name="sign"/> makes of the signing input.</summary>
    public static string Write(string header, JsonObject claims, Func<byte[], byte[]> sign)
    {
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return input + "." + Base64Url.EncodeToString(sign(Encoding.ASCII.GetBytes(input)));
    }

    // Lenient: padded text and the standard alphabet's + and / are read too.
    private static byte[] Decode(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }
}
