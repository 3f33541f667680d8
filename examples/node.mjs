// Settings from the environment; `bash scripts/demo.sh` prints them for its demo servers.
import { requestToken, createConnection } from 'oauth-token-connection';

const { TOKEN_ENDPOINT, CLIENT_ID, CLIENT_SECRET, API_URL } = process.env;
const config = { tokenEndpoint: TOKEN_ENDPOINT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };

const token = await requestToken(config); // one token request
console.log(`${token.tokenType} token, expires in ${token.expiresIn} s`);

const api = createConnection(config); // one token, reused and renewed, for many REST calls
const res = await api.fetch(API_URL); // sends Authorization: Bearer <token>
console.log(res.status, await res.json());
