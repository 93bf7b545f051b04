import java.security.KeyStore;
import java.util.TimeZone;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Reports how many CAs the JVM's default trust store holds (langbuild base test). */
public class Trust {
    public static void main(String[] args) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        int n = 0;
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager) {
                n += ((X509TrustManager) tm).getAcceptedIssuers().length;
            }
        }
        System.out.println("trusted CAs: " + n);
        System.out.println("user: " + System.getProperty("user.name"));
        System.out.println("tz: " + TimeZone.getDefault().getID());
        System.out.println("java: " + System.getProperty("java.version"));
    }
}
