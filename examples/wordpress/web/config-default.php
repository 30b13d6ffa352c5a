<?php
// Debian's wp-config.php loads this file for any host name without its own
// config-<host>.php. The database settings come from the container environment.
define('DB_NAME', getenv('WORDPRESS_DB_NAME'));
define('DB_USER', getenv('WORDPRESS_DB_USER'));
define('DB_PASSWORD', getenv('WORDPRESS_DB_PASSWORD'));
define('DB_HOST', getenv('WORDPRESS_DB_HOST'));
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
// Updates come from Debian's package, not from WordPress itself.
define('WP_AUTO_UPDATE_CORE', false);
define('AUTOMATIC_UPDATER_DISABLED', true);
